/* Startup code for the bare-metal Cortex-M images (tests and size report), for QEMU's MPS2
 * boards: the vector table and Reset_Handler, which enables the FPU, copies .data from flash to
 * RAM, zeroes .bss, opens the semihosting console, runs static constructors and then
 * exit(main()). With semihosting, exit's status becomes QEMU's exit status, so a test image that
 * returns non-zero from main fails its Bazel test. A fault prints its name and exits with 128 +
 * the exception number instead of hanging.
 *
 * newlib ships no startup code for M-profile cores; this and cortex_m.ld are that code. Link with
 * -nostartfiles --specs=nano.specs --specs=rdimon.specs -T tools/cortex_m/cortex_m.ld. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_top__[];

int main(void);
void initialise_monitor_handles(void);
void __libc_init_array(void);

void Reset_Handler(void) __attribute__((noreturn));
static void Fault_Handler(void) __attribute__((noreturn));

/* -nostartfiles leaves out crti.o/crtn.o, whose _init and _fini __libc_init_array and
 * __libc_fini_array call. Everything they would do is in .init_array / .fini_array. */
void _init(void) {}
void _fini(void) {}

/* The 16 system exceptions of ARMv7-M; the boards' external interrupts are never enabled. */
__attribute__((section(".vectors"), used)) static void (*const vector_table[16])(void) = {
    (void (*)(void))__stack_top__, /* initial stack pointer */
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0,
    0,
    0,
    0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    Fault_Handler, /* SysTick */
};

void Reset_Handler(void) {
#if defined(__ARM_FP)
  /* CPACR: full access to coprocessors 10 and 11 (the FPU), before any floating-point code. */
  volatile uint32_t* const cpacr = (volatile uint32_t*)0xE000ED88u;
  *cpacr |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  for (uint32_t *from = __data_load__, *to = __data_start__; to < __data_end__;) *to++ = *from++;
  for (uint32_t* to = __bss_start__; to < __bss_end__;) *to++ = 0;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

static void Fault_Handler(void) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  static const char* const names[] = {
      "", "Reset", "NMI", "HardFault", "MemManage",    "BusFault", "UsageFault", "",
      "", "",      "",    "SVCall",    "DebugMonitor", "",         "PendSV",     "SysTick"};
  const uint32_t exception = ipsr & 0x1FFu;
  printf("\nFATAL: %s exception (%lu)\n", exception < 16 ? names[exception] : "interrupt",
         (unsigned long)exception);
  exit(128 + (int)(exception & 0x7Fu));
}
