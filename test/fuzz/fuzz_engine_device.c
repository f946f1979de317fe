/*
 * fuzz_engine with the device profiles' certificate handling (PKIOT_X509_BUILTIN=n, built
 * against configs/host_port_path_defconfig by mk/fuzz.mk): the engine reads certificates
 * and checks their paths with the Mbed TLS port, as the firmware does. See fuzz_engine.c.
 */
#define PKIOT_FUZZ_ENGINE_DEVICE 1
#include "fuzz_engine.c"
