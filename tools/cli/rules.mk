# tools/cli: the default model (tools/cli/default_model.h) is also found by
# the absolute path of this clone's models/ folder, compiled in.
FLM_DEFAULT_MODEL ?= models/fieldtales-800k.flm
$(call obj,tools/cli/default_model.c): CFLAGS += -DFLM_DEFAULT_MODEL_PATH='"$(abspath $(FLM_DEFAULT_MODEL))"' \
    -DFLM_DEFAULT_MODEL_NAME='"$(notdir $(FLM_DEFAULT_MODEL))"'
$(call obj,tools/cli/default_model.c): tools/cli/rules.mk

# make install PREFIX=/usr/local DESTDIR=: the program, its man page, the
# default model (found by an installed bin/fieldlm in ../share/fieldlm/)
# and an example configuration; uninstall removes exactly these.
PREFIX ?= /usr/local
INSTALL_FILES := bin/fieldlm share/man/man1/fieldlm.1 share/fieldlm/$(notdir $(FLM_DEFAULT_MODEL)) \
                 share/fieldlm/fieldlm.conf
install: $(CLI)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/fieldlm
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/fieldlm
	install -m 644 tools/cli/fieldlm.1 $(DESTDIR)$(PREFIX)/share/man/man1/fieldlm.1
	install -m 644 $(FLM_DEFAULT_MODEL) $(DESTDIR)$(PREFIX)/share/fieldlm/$(notdir $(FLM_DEFAULT_MODEL))
	sed 's|^path *= *models/.*|path    = $(PREFIX)/share/fieldlm/$(notdir $(FLM_DEFAULT_MODEL))|' tools/cli/fieldlm.conf \
	    >$(DESTDIR)$(PREFIX)/share/fieldlm/fieldlm.conf
	chmod 644 $(DESTDIR)$(PREFIX)/share/fieldlm/fieldlm.conf
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALL_FILES))
	-rmdir $(DESTDIR)$(PREFIX)/share/fieldlm 2>/dev/null
