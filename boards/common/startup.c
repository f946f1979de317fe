/*
 * Cortex-M3/M4 startup for the MPS2 boards: vector table, reset handler, fault reporting.
 *
 * Reset copies .data from its load address, zeroes .bss, paints the unused stack, runs static
 * constructors and calls main(); main's return value becomes the exit status. Every fault
 * prints the stacked registers and the fault status registers through the console and exits
 * with BOARD_EXIT_FAULT, so a crash under QEMU ends the run with a diagnosis instead of a hang.
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "board_internal.h"

extern uint32_t __stack_top[];
extern uint32_t __stack_bottom[];
extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern const uint32_t __data_load[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];
extern void (*const __preinit_array_start[])(void);
extern void (*const __preinit_array_end[])(void);
extern void (*const __init_array_start[])(void);
extern void (*const __init_array_end[])(void);

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void Default_IRQHandler(void);
void SysTick_Handler(void);
void board_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR  (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR  (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR  (*(volatile uint32_t *)0xE000ED38u)

#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)

void Reset_Handler(void)
{
    /* Paint the stack below the current frame; 64 bytes of slack for this function. */
    uint32_t *sp_now = (uint32_t *)__builtin_frame_address(0);
    for (uint32_t *p = __stack_bottom; p < sp_now - 16; p++) {
        *p = BOARD_STACK_FILL;
    }

    const uint32_t *src = __data_load;
    for (uint32_t *dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0;
    }

#if defined(__ARM_FP)
    /* Built for a hardware FPU: grant full access to CP10/CP11 before any float code runs. */
    SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    /* Separate handlers for MemManage/BusFault/UsageFault give better fault reports. */
    SCB_SHCSR |= SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA;

    for (void (*const *f)(void) = __preinit_array_start; f < __preinit_array_end; f++) {
        (*f)();
    }
    for (void (*const *f)(void) = __init_array_start; f < __init_array_end; f++) {
        (*f)();
    }

    board_exit(main());
}

/*
 * All fault vectors land here. The naked entry picks the stack the exception frame was pushed
 * on (EXC_RETURN bit 2) and hands frame, EXC_RETURN and IPSR to C.
 */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile("tst lr, #4\n\t"
                     "ite eq\n\t"
                     "mrseq r0, msp\n\t"
                     "mrsne r0, psp\n\t"
                     "mov r1, lr\n\t"
                     "mrs r2, ipsr\n\t"
                     "b board_fault_report\n\t");
}

static const char *fault_name(uint32_t exc)
{
    switch (exc) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    default: return "exception";
    }
}

void board_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr)
{
    uint32_t exc = ipsr & 0x1FFu;
    uint32_t cfsr = SCB_CFSR;
    board_printf("\n*** %s (exception %u) EXC_RETURN=0x%08x\n", fault_name(exc), (unsigned)exc,
                 (unsigned)exc_return);
    board_printf("    r0=0x%08x r1=0x%08x r2=0x%08x r3=0x%08x r12=0x%08x\n",
                 (unsigned)frame[0], (unsigned)frame[1], (unsigned)frame[2],
                 (unsigned)frame[3], (unsigned)frame[4]);
    board_printf("    lr=0x%08x pc=0x%08x xpsr=0x%08x\n", (unsigned)frame[5],
                 (unsigned)frame[6], (unsigned)frame[7]);
    board_printf("    CFSR=0x%08x HFSR=0x%08x", (unsigned)cfsr, (unsigned)SCB_HFSR);
    if (cfsr & (1u << 7)) {
        board_printf(" MMFAR=0x%08x", (unsigned)SCB_MMFAR);
    }
    if (cfsr & (1u << 15)) {
        board_printf(" BFAR=0x%08x", (unsigned)SCB_BFAR);
    }
    board_printf("\n    stack high water %u of %u bytes\n", (unsigned)board_stack_high_water(),
                 (unsigned)board_stack_size());
    board_exit(BOARD_EXIT_FAULT);
}

void Default_IRQHandler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    board_printf("\n*** unexpected interrupt %u\n", (unsigned)(ipsr & 0x1FFu));
    board_exit(BOARD_EXIT_FAULT);
}

typedef void (*vector_t)(void);

#define IRQ_DEFAULT Default_IRQHandler

__attribute__((section(".vectors"), used)) const vector_t board_vectors[16 + BOARD_NUM_IRQ] = {
    (vector_t)(uintptr_t)__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,    /* reserved */
    Default_IRQHandler, /* SVCall */
    Default_IRQHandler, /* DebugMonitor */
    0,                  /* reserved */
    Default_IRQHandler, /* PendSV */
    SysTick_Handler,
    [16 ... 16 + BOARD_NUM_IRQ - 1] = IRQ_DEFAULT,
};
