#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H

#include <stdint.h>
#include <wchar.h>

/// Thin wrappers over ncursesw: its macros and globals are invisible to Swift.

/// Starts curses on the terminal (locale from the environment, raw keys,
/// no echo, keypad, hidden cursor). Returns 0 on success.
int tandem_curses_start(void);
/// Restores the terminal. Safe to call more than once, and from a signal handler path.
void tandem_curses_stop(void);
/// Gives the terminal to another program (an editor) and takes it back.
void tandem_curses_suspend(void);
void tandem_curses_resume(void);
int tandem_curses_lines(void);
int tandem_curses_cols(void);
/// Number of colours the terminal offers (0 without colour support).
int tandem_curses_colors(void);
/// Defines colour pair `pair` (1…); -1 means the terminal's default colour.
int tandem_curses_init_pair(int16_t pair, int16_t foreground, int16_t background);
/// Draws `text` (one cell's characters) at row, column with colour pair and attributes.
void tandem_curses_put(int row, int column, const wchar_t *text, int16_t pair, uint32_t attributes);
void tandem_curses_refresh(void);
/// Waits up to `timeout_ms` for a key; returns -1 when none came. `is_key_code`
/// is set when the value is a function key (KEY_*), not a character.
int tandem_curses_read(int timeout_ms, int *is_key_code);
/// Attribute bits, as ncurses defines them.
uint32_t tandem_attr_bold(void);
uint32_t tandem_attr_underline(void);
uint32_t tandem_attr_reverse(void);
uint32_t tandem_attr_dim(void);
/// Function key codes.
int tandem_key_resize(void);
int tandem_key_up(void);
int tandem_key_down(void);
int tandem_key_left(void);
int tandem_key_right(void);
int tandem_key_home(void);
int tandem_key_end(void);
int tandem_key_page_up(void);
int tandem_key_page_down(void);
int tandem_key_back_tab(void);
int tandem_key_enter(void);
int tandem_key_backspace(void);

/// Restores the terminal before the process dies of SIGTERM, SIGHUP, SIGSEGV,
/// SIGBUS, SIGFPE, SIGILL or SIGABRT, then lets the signal do its work.
void tandem_install_crash_handlers(void);

#endif
