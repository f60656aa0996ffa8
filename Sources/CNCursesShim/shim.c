#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>
#include "CNCursesShim.h"

static int started = 0;

int tandem_curses_start(void) {
    setlocale(LC_ALL, "");
    if (initscr() == NULL) return -1;
    started = 1;
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    if (has_colors()) {
        start_color();
        use_default_colors();
    }
    return 0;
}

void tandem_curses_stop(void) {
    if (!started) return;
    started = 0;
    curs_set(1);
    endwin();
}

void tandem_curses_suspend(void) {
    if (!started) return;
    def_prog_mode();
    endwin();
}

void tandem_curses_resume(void) {
    if (!started) return;
    reset_prog_mode();
    /* Keys typed in the editor, or the terminal's answers to it, are not for us. */
    flushinp();
    clearok(stdscr, TRUE);
    refresh();
}

int tandem_curses_lines(void) { return LINES; }
int tandem_curses_cols(void) { return COLS; }
int tandem_curses_colors(void) { return has_colors() ? COLORS : 0; }

int tandem_curses_init_pair(int16_t pair, int16_t foreground, int16_t background) {
    return init_pair(pair, foreground, background);
}

void tandem_curses_put(int row, int column, const wchar_t *text, int16_t pair, uint32_t attributes) {
    cchar_t cell;
    setcchar(&cell, text, (attr_t)attributes, pair, NULL);
    mvadd_wch(row, column, &cell);
}

void tandem_curses_refresh(void) { refresh(); }

int tandem_curses_read(int timeout_ms, int *is_key_code) {
    wint_t value = 0;
    timeout(timeout_ms);
    int result = get_wch(&value);
    if (result == ERR) return -1;
    *is_key_code = (result == KEY_CODE_YES);
    return (int)value;
}

uint32_t tandem_attr_bold(void) { return A_BOLD; }
uint32_t tandem_attr_underline(void) { return A_UNDERLINE; }
uint32_t tandem_attr_reverse(void) { return A_REVERSE; }
uint32_t tandem_attr_dim(void) { return A_DIM; }
int tandem_key_resize(void) { return KEY_RESIZE; }
int tandem_key_up(void) { return KEY_UP; }
int tandem_key_down(void) { return KEY_DOWN; }
int tandem_key_left(void) { return KEY_LEFT; }
int tandem_key_right(void) { return KEY_RIGHT; }
int tandem_key_home(void) { return KEY_HOME; }
int tandem_key_end(void) { return KEY_END; }
int tandem_key_page_up(void) { return KEY_PPAGE; }
int tandem_key_page_down(void) { return KEY_NPAGE; }
int tandem_key_back_tab(void) { return KEY_BTAB; }
int tandem_key_enter(void) { return KEY_ENTER; }
int tandem_key_backspace(void) { return KEY_BACKSPACE; }

#include <signal.h>

static void tandem_crash_handler(int signal_number) {
    tandem_curses_stop();
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void tandem_install_crash_handlers(void) {
    int signals[] = {SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (unsigned i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        signal(signals[i], tandem_crash_handler);
    }
}
