# l2tpns - see README.md.
#
#   make            build the daemon, tools and plugins
#   make check      unit tests (cmocka) and system tests (pytest)
#   make SAN=1      build with AddressSanitizer and UBSan
#   make install    install under DESTDIR (manual paths)

PREFIX	?= /usr
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
LIBDIR	?= $(PREFIX)/lib/l2tpns
ETCDIR	?= /etc/l2tpns
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/l2tpns
SYSTEMDDIR ?= /lib/systemd/system
LOGROTATEDIR ?= /etc/logrotate.d
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	   -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter -Wno-missing-field-initializers \
	   -fno-strict-aliasing -D_GNU_SOURCE \
	   -DETCDIR='"$(ETCDIR)"' -DLIBDIR='"$(LIBDIR)"'
LDFLAGS	?=
LIBS	= -lcrypt -lmd
# Debian's interpreter (python3-pytest), not a user's pyenv one.
PYTHON	?= /usr/bin/python3

ifeq ($(SAN),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

DAEMON_OBJS = l2tpns.o config.o event.o log.o tables.o tun.o l2tp.o util.o
PROGS	= l2tpns

UNIT_TESTS = test/unit/test_config test/unit/test_event test/unit/test_tables

all: $(PROGS)

l2tpns: $(DAEMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(LIBS)

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(DAEMON_OBJS:.o=.d)

# ---- tests ----

test/unit/test_config: test/unit/test_config.c config.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

test/unit/test_event: test/unit/test_event.c event.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

test/unit/test_tables: test/unit/test_tables.c tables.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t; done

system: all
	cd test/system && $(PYTHON) -m pytest -v $(PYTEST_ARGS)

check: unit system

# ---- install ----

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(ETCDIR)
	install -m 0755 l2tpns $(DESTDIR)$(SBINDIR)/l2tpns
	test -e $(DESTDIR)$(ETCDIR)/startup-config || \
	    install -m 0600 etc/startup-config.default $(DESTDIR)$(ETCDIR)/startup-config
	test -e $(DESTDIR)$(ETCDIR)/ip_pool || \
	    install -m 0644 etc/ip_pool.default $(DESTDIR)$(ETCDIR)/ip_pool
	test -e $(DESTDIR)$(ETCDIR)/users || \
	    install -m 0600 etc/users.default $(DESTDIR)$(ETCDIR)/users
	install -d $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(LOGROTATEDIR) $(DESTDIR)$(DOCDIR)
	install -m 0644 etc/l2tpns.service $(DESTDIR)$(SYSTEMDDIR)/l2tpns.service
	test -e $(DESTDIR)$(LOGROTATEDIR)/l2tpns || \
	    install -m 0644 etc/l2tpns.logrotate $(DESTDIR)$(LOGROTATEDIR)/l2tpns
	install -m 0644 Docs/manual.md README.md $(DESTDIR)$(DOCDIR)/

clean:
	rm -f $(PROGS) *.o *.d *.so $(UNIT_TESTS) test/unit/*.d
	rm -rf test/system/__pycache__ test/system/.pytest_cache

.PHONY: all unit system check install clean
