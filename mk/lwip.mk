# lwIP 2.2 for the firmware images: NO_SYS raw API, IPv4, TCP/UDP, DHCP, DNS, Ethernet/ARP.
#
#   $(LWIP_LIB)        $(BUILD)/liblwip.a, compiled from $(LWIP_DIR)/src with the lwipopts.h
#                      and arch/cc.h found in $(LWIP_CONFIG_DIR) (default boards/common)
#   $(LWIP_CPPFLAGS)   include flags for code that includes lwIP headers
#   make lwip          builds $(LWIP_LIB) for $(TARGET)
#
# Only the sources a NO_SYS IPv4 device needs are compiled; api/ (netconn, sockets) requires
# an OS and is left out. lwIP is third-party code: it gets -Wall without -Werror.

LWIP_CONFIG_DIR ?= boards/common
LWIP_CPPFLAGS   := -I$(LWIP_CONFIG_DIR) -I$(LWIP_DIR)/src/include

LWIP_SRC_NAMES := \
  core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
  core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c \
  core/tcp_out.c core/timeouts.c core/udp.c \
  core/ipv4/acd.c core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c \
  core/ipv4/igmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
  netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(BUILD)/lwip/%.o,$(LWIP_SRC_NAMES))
LWIP_LIB  := $(BUILD)/liblwip.a
LWIP_CFG_HDRS := $(wildcard $(LWIP_CONFIG_DIR)/lwipopts.h $(LWIP_CONFIG_DIR)/arch/*.h)

.PHONY: lwip
lwip: $(LWIP_LIB)

$(BUILD)/lwip/%.o: $(LWIP_DIR)/src/%.c $(LWIP_CFG_HDRS)
	@mkdir -p $(dir $@)
	@$(CC) $(LWIP_CPPFLAGS) $(CSTD) $(ARCHFLAGS) -Wall -c $< -o $@

$(LWIP_LIB): $(LWIP_OBJS)
	@rm -f $@
	@$(AR) rcs $@ $^
	@echo "AR $@"

# --- the pkiot lwIP ports, compile-checked with the strict port warnings --------------------
#   make lwip-port-check   compiles ports/lwip/pkiot_lwip_net.c (NO_SYS=1, boards/common
#                          lwipopts.h) and ports/lwip/pkiot_lwip_sockets.c (NO_SYS=0,
#                          ports/lwip/check/lwipopts.h) for $(TARGET)
LWIP_PORT_CHECK_OBJS := $(BUILD)/lwip-port-check/pkiot_lwip_net.o \
                        $(BUILD)/lwip-port-check/pkiot_lwip_sockets.o

.PHONY: lwip-port-check
lwip-port-check: $(LWIP_PORT_CHECK_OBJS)

$(BUILD)/lwip-port-check/pkiot_lwip_net.o: ports/lwip/pkiot_lwip_net.c ports/lwip/pkiot_lwip_net.h $(LWIP_CFG_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) -Iinclude -Iports/lwip $(LWIP_CPPFLAGS) $(CSTD) $(ARCHFLAGS) $(WARN_PORT) -c $< -o $@

$(BUILD)/lwip-port-check/pkiot_lwip_sockets.o: ports/lwip/pkiot_lwip_sockets.c ports/lwip/pkiot_lwip_sockets.h $(wildcard ports/lwip/check/*.h ports/lwip/check/arch/*.h)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) -Iinclude -Iports/lwip -Iports/lwip/check -I$(LWIP_DIR)/src/include $(CSTD) $(ARCHFLAGS) $(WARN_PORT) -c $< -o $@
