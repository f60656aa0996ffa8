# Builds tandem and installs the binary, its manual page and its shell
# completions:  make install PREFIX=$HOME/.local   (uninstall takes the same PREFIX)
PREFIX ?= /usr/local
CONFIG ?= release
BINDIR := $(DESTDIR)$(PREFIX)/bin
MANDIR := $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
BUILT := .build/$(CONFIG)/tandem
MANUAL := .build/plugins/GenerateManual/outputs/tandem/tandem.1

.PHONY: all build manual install uninstall

all: build manual

build:
	swift build -c $(CONFIG) --product tandem

# swift-argument-parser's generate-manual plugin writes tandem.1 from the commands' own help.
manual: build
	swift package generate-manual --configuration $(CONFIG)

install: build manual
	install -d "$(BINDIR)" "$(MANDIR)" "$(BASHDIR)" "$(ZSHDIR)" "$(FISHDIR)"
	install -m 755 "$(BUILT)" "$(BINDIR)/tandem"
	install -m 644 "$(MANUAL)" "$(MANDIR)/tandem.1"
	"$(BUILT)" --generate-completion-script bash > "$(BASHDIR)/tandem"
	"$(BUILT)" --generate-completion-script zsh > "$(ZSHDIR)/_tandem"
	"$(BUILT)" --generate-completion-script fish > "$(FISHDIR)/tandem.fish"

uninstall:
	rm -f "$(BINDIR)/tandem" "$(MANDIR)/tandem.1" "$(BASHDIR)/tandem" "$(ZSHDIR)/_tandem" "$(FISHDIR)/tandem.fish"
