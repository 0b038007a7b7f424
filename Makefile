# l2tpns - see README.md.
#
#   make            build the daemon, tools and plugins
#   make check      unit tests (cmocka) and system tests (pytest)
#   make SAN=1      build with AddressSanitizer and UBSan
#   make bench      benchmarks, ours against the original (root, ~20 min;
#                   bench/README.md); writes Docs/performance.md
#   make SAN=1 soak sessions up and down under ASan for SOAK_MINUTES (30)
#   make install    install under DESTDIR (manual paths)

PREFIX	?= /usr
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
LIBDIR	?= $(PREFIX)/lib/l2tpns
ETCDIR	?= /etc/l2tpns
MANDIR	?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
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
LIBS	= -lcrypt -lmd -lcli -ldl -lmicrohttpd -luring
# DES for MS-CHAPv2 (mschap.c), from nettle.
LIBS	+= -lnettle
# Debian's interpreter (python3-pytest), not a user's pyenv one.
PYTHON	?= /usr/bin/python3

ifeq ($(SAN),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

DAEMON_OBJS = l2tpns.o globals.o config.o cfgfiles.o cfgprint.o event.o log.o tables.o tun.o routecheck.o l2tp.o l2tp_lac.o l2tp_avp.o l2tp_rel.o util.o \
	      cli.o cli_child.o cli_show.o peercred.o \
	      ppp.o ppp_auth.o session.o cqm.o evring.o dataplane.o offload.o ra.o fsm.o pool.o auth.o radius.o radius_codec.o dae.o tbf.o acl.o intercept.o \
	      acctfile.o garp.o metrics.o web.o
# MS-CHAPv2 hashes (RFC 2759).
DAEMON_OBJS += mschap.o
# Outgoing L2TP: the tunnels' life, and our PPP client (issue 23).
DAEMON_OBJS += lacout.o pppc.o
# Multilink PPP (RFC 1990): bundles, and the fragment codec alone.
DAEMON_OBJS += mlppp.o mpreasm.o
# HA sets (FireBrick 12.3.3).
DAEMON_OBJS += haset.o
# Clustering (cluster.c; the wire codec alone in clustermsg.c).
DAEMON_OBJS += cluster.o cluster_show.o clustermsg.o
PROGS	= l2tpns
# Plugins and nsctl (plugin.h, control.h).  Plugins install in LIBDIR;
# the test ones stay in test/plugins.
DAEMON_OBJS += plugin.o control.o ctlmsg.o
# The BGP speaker (bgp.h).
DAEMON_OBJS += bgp.o bgp_msg.o
# The state file: sessions kept over a restart (state.c).
DAEMON_OBJS += state.o
PROGS	+= nsctl
# Everything but main(): what the unit tests and the fuzzers link (so a
# new module needs adding in one place only).
CORE_OBJS = $(filter-out l2tpns.o,$(DAEMON_OBJS))
# The end point of interception copies (manual, "Interception"); libpcap
# is linked into this tool only.
PROGS	+= scripts/l2tpns-capture
PLUGINS	= sessionctl.so stripdomain.so setrxspeed.so snoopctl.so throttlectl.so \
	  autothrottle.so garden.so
PLUGINS	+= autosnoop.so
TEST_PLUGINS = test/plugins/testplugin.so test/plugins/badversion.so \
	       test/plugins/noversion.so
# The LAC simulator (test/lacsim/README.md): its own RFC 2661 code, no daemon sources.
TEST_TOOLS = test/lacsim/lacsim

UNIT_TESTS = test/unit/test_config test/unit/test_event test/unit/test_tables \
	     test/unit/test_l2tp

all: $(PROGS) $(PLUGINS) $(TEST_TOOLS) $(TEST_PLUGINS)

l2tpns: $(DAEMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(LIBS)

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(DAEMON_OBJS:.o=.d) nsctl.d

scripts/l2tpns-capture: scripts/l2tpns-capture.c
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) -lpcap

nsctl: nsctl.o ctlmsg.o
	$(CC) $(LDFLAGS) -o $@ nsctl.o ctlmsg.o

%.so: %.c plugin.h plugutil.h
	$(CC) $(CFLAGS) -I. -fPIC -shared -o $@ $<

LACSIM_SRCS = test/lacsim/lacsim.c test/lacsim/l2tp_wire.c test/lacsim/lac_timer.c \
	      test/lacsim/ppp_wire.c test/lacsim/ppp_client.c test/lacsim/traffic.c \
	      test/lacsim/tundev.c
LACSIM_HDRS = test/lacsim/l2tp_wire.h test/lacsim/lac_timer.h \
	      test/lacsim/ppp_wire.h test/lacsim/ppp_client.h test/lacsim/traffic.h \
	      test/lacsim/tundev.h

test/lacsim/lacsim: $(LACSIM_SRCS) $(LACSIM_HDRS)
	$(CC) $(CFLAGS) -o $@ $(LACSIM_SRCS) $(LDFLAGS) -lmd -lnettle

UNIT_TESTS += test/unit/test_lacsim_wire

test/unit/test_lacsim_wire: test/unit/test_lacsim_wire.c test/lacsim/l2tp_wire.c test/lacsim/l2tp_wire.h
	$(CC) $(CFLAGS) -Itest/lacsim -o $@ test/unit/test_lacsim_wire.c test/lacsim/l2tp_wire.c $(LDFLAGS) -lcmocka -lmd

UNIT_TESTS += test/unit/test_lacsim_ppp
LACSIM_PPP_TEST_SRCS = test/lacsim/ppp_client.c test/lacsim/ppp_wire.c \
	test/lacsim/l2tp_wire.c test/lacsim/lac_timer.c test/lacsim/traffic.c

test/unit/test_lacsim_ppp: test/unit/test_lacsim_ppp.c $(LACSIM_PPP_TEST_SRCS) $(LACSIM_HDRS)
	$(CC) $(CFLAGS) -Itest/lacsim -o $@ test/unit/test_lacsim_ppp.c $(LACSIM_PPP_TEST_SRCS) $(LDFLAGS) -lcmocka -lmd -lnettle

# ---- tests ----

test/unit/test_config: test/unit/test_config.c config.o cfgfiles.o cfgprint.o globals.o util.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

test/unit/test_event: test/unit/test_event.c event.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

test/unit/test_tables: test/unit/test_tables.c tables.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

test/unit/test_l2tp: test/unit/test_l2tp.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_l2tp_fsm
test/unit/test_l2tp_fsm: test/unit/test_l2tp_fsm.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

# Our PPP client (outgoing L2TP, pppc.c) against a scripted LNS.
UNIT_TESTS += test/unit/test_pppc
test/unit/test_pppc: test/unit/test_pppc.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_control test/unit/test_fsm test/unit/test_pool

UNIT_TESTS += test/unit/test_radius
test/unit/test_radius: test/unit/test_radius.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_mschap
test/unit/test_mschap: test/unit/test_mschap.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_radius_acct
test/unit/test_radius_acct: test/unit/test_radius_acct.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_radius_window
test/unit/test_radius_window: test/unit/test_radius_window.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_acctfile
test/unit/test_acctfile: test/unit/test_acctfile.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_session
test/unit/test_session: test/unit/test_session.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_evring
test/unit/test_evring: test/unit/test_evring.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_cqm
test/unit/test_cqm: test/unit/test_cqm.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)
UNIT_TESTS += test/unit/test_mpreasm
test/unit/test_mpreasm: test/unit/test_mpreasm.c mpreasm.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

UNIT_TESTS += test/unit/test_offload
test/unit/test_offload: test/unit/test_offload.c offload.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

UNIT_TESTS += test/unit/test_acl
test/unit/test_acl: test/unit/test_acl.c acl.o config.o cfgprint.o globals.o tables.o log.o util.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

UNIT_TESTS += test/unit/test_cluster
test/unit/test_cluster: test/unit/test_cluster.c clustermsg.o clustermsg.h rd.h
	$(CC) $(CFLAGS) -I. -o $@ test/unit/test_cluster.c clustermsg.o $(LDFLAGS) -lcmocka -lmd

test/unit/test_fsm: test/unit/test_fsm.c fsm.o event.o log.o globals.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

test/unit/test_pool: test/unit/test_pool.c pool.o event.o log.o globals.o
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka

test/unit/test_control: test/unit/test_control.c ctlmsg.o control.h rd.h
	$(CC) $(CFLAGS) -I. -o $@ test/unit/test_control.c ctlmsg.o $(LDFLAGS) -lcmocka

# The BGP codec and FSM, with the few modules they use.
BGP_SPLIT_SRCS = globals.c cfgprint.c util.c
UNIT_TESTS += test/unit/test_bgp
test/unit/test_bgp: test/unit/test_bgp.c bgp.o bgp_msg.o event.o log.o config.o $(BGP_SPLIT_SRCS:.c=.o)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

# The state file's format (state.c).
UNIT_TESTS += test/unit/test_state
test/unit/test_state: test/unit/test_state.c $(CORE_OBJS)
	$(CC) $(CFLAGS) -I. -o $@ $^ $(LDFLAGS) -lcmocka $(LIBS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t; done

system: all
	cd test/system && $(PYTHON) -m pytest -v $(PYTEST_ARGS)

check: unit system

# Interoperability with a real LAC: xl2tpd + pppd in a qemu guest (needs
# root; the guest is built once into /var/tmp/l2tpns-interop, see
# test/interop/build-guest.sh).  -rA keeps pppd's view and the timings of
# passed tests in the output.
interop: all
	cd test/interop && $(PYTHON) -m pytest -v -rA $(PYTEST_ARGS)

# ---- fuzzing (clang libFuzzer; config.c is built in, not config.o) ----

FUZZ_CC	?= clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	   -fno-sanitize-recover=undefined -std=gnu11 -Wall -Wextra -Werror \
	   -Wno-unused-parameter -Wno-missing-field-initializers \
	   -D_GNU_SOURCE -I.
FUZZERS	= test/fuzz/fuzz_config test/fuzz/fuzz_users test/fuzz/fuzz_pool
FUZZ_TIME ?= 20
FUZZ_RUNS ?= 5000000

$(FUZZERS): test/fuzz/%: test/fuzz/%.c config.c cfgfiles.c cfgprint.c globals.c util.c config.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< config.c cfgfiles.c cfgprint.c globals.c util.c -lcrypt

# Access-list rules and the matcher (acl.c) on arbitrary packets.
ACL_FUZZ_SRCS = config.c cfgprint.c globals.c acl.c tables.c log.c util.c
test/fuzz/fuzz_acl: test/fuzz/fuzz_acl.c $(ACL_FUZZ_SRCS) config.h acl.h l2tpns.h rd.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(ACL_FUZZ_SRCS) -lcrypt -lmd
FUZZERS	+= test/fuzz/fuzz_acl

# TUN offloads (offload.c): segmentation, checksums, coalescing.
test/fuzz/fuzz_offload: test/fuzz/fuzz_offload.c offload.c offload.h rd.h tcpflags.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< offload.c
FUZZERS	+= test/fuzz/fuzz_offload

# Multilink PPP fragments (mpreasm.c): header parser, reassembly, plan.
test/fuzz/fuzz_mpreasm: test/fuzz/fuzz_mpreasm.c mpreasm.c mpreasm.h rd.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< mpreasm.c
FUZZERS	+= test/fuzz/fuzz_mpreasm

# The daemon-level targets: each links every daemon object but main()
# and the shared harness (test/fuzz/harness.h).
#   fuzz_l2tp     the L2TP input path, with everything it touches
#   fuzz_ppp      PPP input (LCP, PAP, CHAP, IPCP, IPV6CP) on one session
#   fuzz_radius   RADIUS replies (layout, authenticators, Access-Accept
#                 attributes) and the DAE listener (Disconnect/CoA)
#   fuzz_control  the control protocol: decode, nsctl_allow, dispatch
#   fuzz_cluster  the cluster input path: codec, replay window, bodies,
#                 records applied
#   fuzz_mschap   MS-CHAPv2: the Response Value (mschap.c) and the
#                 Microsoft attributes of a RADIUS reply (radius_parse_vsa)
#   fuzz_tun      the downstream path from the TUN device (dataplane.c):
#                 lookup, vnet header, interception, fragments and ICMP
#                 errors, MSS clamping, throttle (test/fuzz/dp_fixture.h)
#   fuzz_ra       Router Solicitations and Echo Requests to the LNS (ra.c)
#   fuzz_acctfile the usage-file writer (acctfile.c) with hostile
#                 usernames; each file is read back and checked
#   fuzz_cli      the CLI's command table and argument parsing, with the
#                 daemon's side of every request (cli_child.c, cli_show.c,
#                 cli.c)
#   fuzz_state    the state-file loader (state.c): header, sizes, record
#                 checksums
#   fuzz_pppc     our PPP client (outgoing L2TP, pppc.c): what a remote
#                 LNS sends it
L2TP_FUZZ_SRCS = $(CORE_OBJS:.o=.c)
DAEMON_FUZZ_LIBS = -lmd -lcrypt -ldl -lcli -lmicrohttpd -luring -lnettle \
	-lpthread
DAEMON_FUZZERS = test/fuzz/fuzz_l2tp test/fuzz/fuzz_ppp test/fuzz/fuzz_radius \
	test/fuzz/fuzz_control test/fuzz/fuzz_cluster test/fuzz/fuzz_mschap \
	test/fuzz/fuzz_tun test/fuzz/fuzz_ra test/fuzz/fuzz_acctfile \
	test/fuzz/fuzz_cli test/fuzz/fuzz_state test/fuzz/fuzz_pppc
$(DAEMON_FUZZERS): test/fuzz/%: test/fuzz/%.c test/fuzz/harness.h \
    test/fuzz/dp_fixture.h $(L2TP_FUZZ_SRCS) $(wildcard *.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(L2TP_FUZZ_SRCS) $(DAEMON_FUZZ_LIBS)
FUZZERS	+= $(DAEMON_FUZZERS)

# fuzz_control loads the test plugins, built here without sanitizers
# (whatever SAN says) so that they load into the fuzzer's runtime.
FUZZ_PLUGINS = $(TEST_PLUGINS:test/plugins/%=test/fuzz/plugins/%)
test/fuzz/plugins/%.so: test/plugins/%.c plugin.h
	@mkdir -p test/fuzz/plugins
	$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -fPIC -shared -o $@ $<
test/fuzz/fuzz_control: $(FUZZ_PLUGINS)

# BGP messages (header, OPEN, UPDATE, NOTIFICATION) through the codec (bgp_msg.c).
BGP_FUZZ_SRCS = bgp.c bgp_msg.c config.c event.c log.c $(BGP_SPLIT_SRCS)
test/fuzz/fuzz_bgp: test/fuzz/fuzz_bgp.c $(BGP_FUZZ_SRCS) bgp.h bgp_msg.h config.h rd.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(BGP_FUZZ_SRCS) -lcrypt
FUZZERS	+= test/fuzz/fuzz_bgp

fuzz: $(FUZZERS)

# New inputs go to a scratch directory; the seeds in test/fuzz/corpus stay.
fuzz-smoke: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$${f#test/fuzz/fuzz_}; \
	    echo "== $$f"; d=$$(mktemp -d); \
	    ./$$f -max_total_time=$(FUZZ_TIME) -runs=$(FUZZ_RUNS) \
	        -dict=test/fuzz/$$n.dict -artifact_prefix=test/fuzz/crash-$$n- \
	        -print_final_stats=1 $$d test/fuzz/corpus/$$n; \
	    rm -rf $$d; done

.PHONY: fuzz fuzz-smoke

# ---- benchmarks (bench/README.md): root, about 20 minutes; not in check ----

BENCH_TOOLS = bench/relay bench/udpblast

bench/relay: bench/relay.c bench/benchsig.h
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

bench/udpblast: bench/udpblast.c bench/benchsig.h
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

bench-tools: $(BENCH_TOOLS)

# Writes Docs/performance.md and Docs/perf-*.png; BENCH_ARGS=--quick for
# a short check of the harness (its report stays in the work directory).
bench: all $(BENCH_TOOLS)
	$(PYTHON) bench/bench.py $(BENCH_ARGS)
	$(MAKE) bench-cluster
	$(MAKE) bench-scrape
	$(MAKE) bench-scale
	$(MAKE) bench-tcp

# What a Prometheus scrape costs the loop at 100,000 sessions; writes
# Docs/performance.md's "Metrics scrape cost" section (SCRAPE_ARGS=--quick
# for a short check that writes nothing).
bench-scrape: all
	$(PYTHON) bench/scrape.py $(SCRAPE_ARGS)

# The cluster's row: replication bytes and failover time with 10,000
# sessions (test/system/bench_cluster.py); writes its section of
# Docs/performance.md.
bench-cluster: all
	cd test/system && $(PYTHON) -m pytest -q -s bench_cluster.py

# Per-packet cost and memory from 1 to 1,000,000 sessions, ours and the
# original to its limit; writes Docs/performance.md's "Scale" section and
# Docs/perf-scale.png (SCALE_ARGS=--quick for a short check).
bench-scale: all $(BENCH_TOOLS)
	$(PYTHON) bench/scale.py $(SCALE_ARGS)

# Bulk TCP through one session (iperf3, lacsim in TUN mode), ours and the
# original; writes Docs/performance.md's "Bulk TCP" section
# (TCP_ARGS=--quick for a short check).
bench-tcp: all $(BENCH_TOOLS)
	$(PYTHON) bench/tcp.py $(TCP_ARGS)

.PHONY: bench bench-tools bench-scrape bench-cluster bench-scale bench-tcp

# ---- soak (bench/soak.py): root, SOAK_MINUTES under ASan; not in check ----
# Build with sanitizers first: make clean && make SAN=1 soak SOAK_MINUTES=30

SOAK_MINUTES ?= 30

soak: all
	$(PYTHON) bench/soak.py --minutes $(SOAK_MINUTES)

.PHONY: soak

# ---- install ----

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(ETCDIR)
	install -m 0755 l2tpns $(DESTDIR)$(SBINDIR)/l2tpns
	install -m 0755 nsctl $(DESTDIR)$(SBINDIR)/nsctl
	install -m 0755 scripts/l2tpns-capture $(DESTDIR)$(SBINDIR)/l2tpns-capture
	install -m 0644 $(PLUGINS) $(DESTDIR)$(LIBDIR)/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 Docs/l2tpns.8 Docs/nsctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 Docs/startup-config.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(INCLUDEDIR)/l2tpns
	install -m 0644 plugin.h $(DESTDIR)$(INCLUDEDIR)/l2tpns/plugin.h
	test -e $(DESTDIR)$(ETCDIR)/startup-config || \
	    install -m 0600 etc/startup-config.default $(DESTDIR)$(ETCDIR)/startup-config
	test -e $(DESTDIR)$(ETCDIR)/ip_pool || \
	    install -m 0644 etc/ip_pool.default $(DESTDIR)$(ETCDIR)/ip_pool
	test -e $(DESTDIR)$(ETCDIR)/users || \
	    install -m 0600 etc/users.default $(DESTDIR)$(ETCDIR)/users
	test -e $(DESTDIR)$(ETCDIR)/subscribers || \
	    install -m 0600 etc/subscribers.default $(DESTDIR)$(ETCDIR)/subscribers
	test -e $(DESTDIR)$(ETCDIR)/build-garden || \
	    install -m 0755 etc/build-garden $(DESTDIR)$(ETCDIR)/build-garden
	install -d $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(LOGROTATEDIR) $(DESTDIR)$(DOCDIR)
	install -m 0644 etc/l2tpns.service $(DESTDIR)$(SYSTEMDDIR)/l2tpns.service
	test -e $(DESTDIR)$(LOGROTATEDIR)/l2tpns || \
	    install -m 0644 etc/l2tpns.logrotate $(DESTDIR)$(LOGROTATEDIR)/l2tpns
	install -m 0644 Docs/manual.md README.md $(DESTDIR)$(DOCDIR)/

clean:
	rm -f $(PROGS) *.o *.d *.so $(UNIT_TESTS) test/unit/*.d
	rm -f $(TEST_TOOLS) $(TEST_PLUGINS) $(FUZZ_PLUGINS)
	rm -f $(FUZZERS) $(BENCH_TOOLS)
	rm -rf bench/__pycache__
	rm -rf test/system/__pycache__ test/system/.pytest_cache
	rm -rf test/interop/__pycache__ test/interop/.pytest_cache

.PHONY: all unit system check interop install clean
