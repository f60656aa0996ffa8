// The theme files of Themes/, built in so the binary needs no resources.
// A test checks that they match the files word for word.
enum BuiltinThemes {
    static let files: [String: String] = [
        "dark": #"""
# Tandem's default theme, for dark terminals.
# A style takes fg and bg (a colour name: black, red, green, yellow, blue,
# magenta, cyan, white, their bright- forms, "default", or a 256-colour index
# 0-255) and the flags bold, underline, reverse, dim.
name = "dark"

[header]
fg = "bright-white"
bg = "blue"
bold = true

[tab]
fg = "white"

[active_tab]
fg = "black"
bg = "cyan"
bold = true

[selected]
reverse = true

[dim]
dim = true

[title]
bold = true
underline = true

[added]
fg = "green"

[removed]
fg = "red"

[bar]
fg = "white"

[bar_key]
fg = "yellow"
bold = true

[mark.in-sync]
fg = "green"

[mark.outgoing]
fg = "cyan"

[mark.incoming]
fg = "yellow"
bold = true

[mark.conflict]
fg = "red"
bold = true

[mark.refused]
fg = "magenta"
"""#,
        "high-contrast": #"""
# Maximum contrast: bright colours, bold marks, reverse video for selection.
name = "high-contrast"

[header]
fg = "black"
bg = "bright-white"
bold = true

[tab]
fg = "bright-white"

[active_tab]
fg = "black"
bg = "bright-yellow"
bold = true

[selected]
fg = "black"
bg = "bright-white"
bold = true

[dim]
fg = "white"

[title]
fg = "bright-white"
bold = true
underline = true

[added]
fg = "bright-green"
bold = true

[removed]
fg = "bright-red"
bold = true

[bar]
fg = "bright-white"

[bar_key]
fg = "bright-yellow"
bold = true

[mark.in-sync]
fg = "bright-green"
bold = true

[mark.outgoing]
fg = "bright-cyan"
bold = true

[mark.incoming]
fg = "bright-yellow"
bold = true

[mark.conflict]
fg = "bright-red"
bold = true

[mark.refused]
fg = "bright-magenta"
bold = true
"""#,
        "light": #"""
# For light terminals: darker colours on the default background.
name = "light"

[header]
fg = "white"
bg = 24
bold = true

[tab]
fg = "black"

[active_tab]
fg = "white"
bg = "blue"
bold = true

[selected]
fg = "black"
bg = 153

[dim]
fg = 242

[title]
fg = "black"
bold = true
underline = true

[added]
fg = 28

[removed]
fg = 160

[bar]
fg = "black"

[bar_key]
fg = "blue"
bold = true

[mark.in-sync]
fg = 28

[mark.outgoing]
fg = 30

[mark.incoming]
fg = 130
bold = true

[mark.conflict]
fg = 160
bold = true

[mark.refused]
fg = 90
"""#,
        "monochrome": #"""
# No colour at all: marks, bold and reverse video carry the meaning.
name = "monochrome"

[header]
bold = true
reverse = true

[active_tab]
bold = true
reverse = true

[selected]
reverse = true

[dim]
dim = true

[title]
bold = true
underline = true

[added]
bold = true

[removed]
dim = true

[bar_key]
bold = true
"""#,
    ]
}
