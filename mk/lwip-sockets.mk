# lws-enroll: the lwIP sockets-API net port (ports/lwip/pkiot_lwip_sockets.c) on an operating
# system. lwIP 2.2's unix port is the OS (pthreads, NO_SYS=0) and its TAP driver the link; the
# program enrolls over EST with the pkiot engine + pkiot_tls over that port
# (test/lwip-sockets/README.md).
#
#   make lwip-sockets        $(BUILD)/lws-enroll (host builds only)
#   make lwip-sockets-test   test/interop/test_lwip_sockets.sh with this $(BUILD) (root:
#                            network namespace + TAP device)
#
# lwIP is compiled from $(LWIP_DIR) (src/ plus contrib/ports/unix/port/sys_arch.c and
# netif/tapif.c) with test/lwip-sockets/lwipopts.h into $(BUILD)/lws/; as third-party code it
# gets -Wall without -Werror (as in mk/lwip.mk). The program and the port get $(WARN_PORT).

LWS_DIR     := test/lwip-sockets
LWS_OBJ     := $(BUILD)/lws
LWS_BIN     := $(BUILD)/lws-enroll
LWS_UNIX    := $(LWIP_DIR)/contrib/ports/unix/port
LWS_LWIP_CPPFLAGS := -I$(LWS_DIR) -I$(LWIP_DIR)/src/include -I$(LWS_UNIX)/include

LWS_LWIP_SRC_NAMES := \
  core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
  core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c \
  core/tcp_out.c core/timeouts.c core/udp.c \
  core/ipv4/acd.c core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c \
  core/ipv4/igmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
  api/api_lib.c api/api_msg.c api/err.c api/if_api.c api/netbuf.c api/netdb.c \
  api/netifapi.c api/sockets.c api/tcpip.c \
  netif/ethernet.c
LWS_CONTRIB_SRC_NAMES := ports/unix/port/sys_arch.c ports/unix/port/netif/tapif.c
LWS_SRCS := $(LWS_DIR)/lws_enroll.c ports/lwip/pkiot_lwip_sockets.c

LWS_OBJS := $(patsubst %.c,$(LWS_OBJ)/obj/%.o,$(LWS_SRCS)) \
            $(patsubst %.c,$(LWS_OBJ)/lwip/%.o,$(LWS_LWIP_SRC_NAMES)) \
            $(patsubst %.c,$(LWS_OBJ)/contrib/%.o,$(LWS_CONTRIB_SRC_NAMES))

.PHONY: lwip-sockets lwip-sockets-test

# The port once more with LWIP_DNS=0 (compile only): address literals must not need DNS.
LWS_NODNS_OBJ := $(LWS_OBJ)/nodns/pkiot_lwip_sockets.o

ifeq ($(HOST_PORTS),1)
lwip-sockets: $(LWS_BIN) $(LWS_NODNS_OBJ)
# `make test` builds it with the other interop programs, where the lwIP tree has the unix port.
TEST_PREREQS += $(if $(wildcard $(LWS_UNIX)/sys_arch.c),lwip-sockets)
else
lwip-sockets:
	@echo "lwip-sockets: a host program (TARGET=host)" >&2; exit 1
endif

lwip-sockets-test:
	$(Q)PKIOT_LWS_BUILD=$(BUILD) bash test/interop/test_lwip_sockets.sh

$(LWS_OBJ)/obj/%.o: %.c $(CONFIG_H) $(FLAGS_STAMP) $(LWS_DIR)/lwipopts.h
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS_PORT) -Iports/lwip $(LWS_LWIP_CPPFLAGS) $(CSTD) -D_DEFAULT_SOURCE \
	  $(ARCHFLAGS) $(WARN_PORT) -MMD -MP -c $< -o $@

$(LWS_NODNS_OBJ): ports/lwip/pkiot_lwip_sockets.c ports/lwip/pkiot_lwip_sockets.h $(LWS_DIR)/lwipopts.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(quiet) CC "$< (LWIP_DNS=0)"
	$(Q)$(CC) -Iinclude -Iports/lwip $(LWS_LWIP_CPPFLAGS) -DLWS_DNS=0 $(CSTD) -D_DEFAULT_SOURCE \
	  $(ARCHFLAGS) $(WARN_PORT) -c $< -o $@

# gnu11: the unix port needs POSIX (pthreads, clock_gettime, ioctl); it also makes lwIP take
# ssize_t from <unistd.h>, as -D_DEFAULT_SOURCE does for the rule above.
$(LWS_OBJ)/lwip/%.o: $(LWIP_DIR)/src/%.c $(LWS_DIR)/lwipopts.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LWS_LWIP_CPPFLAGS) -std=gnu11 $(ARCHFLAGS) -Wall -MMD -MP -c $< -o $@

$(LWS_OBJ)/contrib/%.o: $(LWIP_DIR)/contrib/%.c $(LWS_DIR)/lwipopts.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LWS_LWIP_CPPFLAGS) -std=gnu11 $(ARCHFLAGS) -Wall -MMD -MP -c $< -o $@

$(LWS_BIN): $(LWS_OBJS) $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB)
	@mkdir -p $(@D)
	@rm -f $@
	$(quiet) LD $@
	$(Q)$(CC) $(ARCHFLAGS) $(LWS_OBJS) -o $@ \
	  -Wl,--start-group $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB) -Wl,--end-group -pthread

-include $(wildcard $(LWS_OBJ)/obj/*/*/*.d $(LWS_OBJ)/lwip/*/*.d $(LWS_OBJ)/lwip/*/*/*.d \
  $(LWS_OBJ)/contrib/*/*/*/*.d $(LWS_OBJ)/contrib/*/*/*/*/*.d)
