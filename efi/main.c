/* efi/main.c - Anima as a UEFI application: from the firmware's hands to a running organism on COM1.
 *
 * The steps, in order (each driver in its own file):
 *   1. console, COM1 and power: where messages go, and how the run ends;
 *   2. options: anima.cfg beside us, then the command line; a bad one is refused and we return to the
 *      shell with boot services intact;
 *   3. the organism: from a checkpoint file (--resume), from the UEFI variable of the last boot
 *      (--persist), or fresh from the seed (given, RDSEED/RDRAND, or a fixed one), all read while the
 *      file system and boot services still exist;
 *   4. the UART (ACPI SPCR, else COM1), the power-off path and the clock (CPUID, HPET, PM timer, PIT:
 *      pc/timer.c), found while the firmware still describes the machine (ACPI tables), for --speed N;
 *   5. ExitBootServices (the screen and the USB controllers prepared first): from here on the machine is
 *      ours and COM1 is the only output;
 *   6. our IDT (a CPU exception is reported, not a silent reset), the USB controllers taken from the
 *      firmware, then the run with live commands from the keyboards and COM1, then power off.
 */
#include "anima_efi.h"
#include "dashboard.h"

#define PERSIST_FAIL_HOLD_S 10 /* seconds a failed last save stays on the screen before power off */
#define FIXED_SEED 1 /* no entropy source: the hosted default, so anima-sim reproduces the run */

static struct anima_options opts;
static struct anima_sim sim;
static uint8_t checkpoint[ANIMA_CHECKPOINT_BYTES];

static void say_line(void *ctx, const char *text)
{
	(void)ctx;
	say(text);
}

static EFI_STATUS refuse(const char *what, EFI_STATUS status)
{
	char line[ANIMA_ERR_MAX + 96] = "anima: ";
	str_add(line, sizeof line, what);
	say(line);
	return status;
}

static int load_organism(EFI_SYSTEM_TABLE *st, char *err, size_t errlen)
{
	size_t len = 0;
	char why[ANIMA_ERR_MAX] = "";
	int r;

	if (!opts.resume && opts.persist) {
		r = persist_load(st, &sim, err, errlen); /* the organism of the last boot, when there is one */
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	if (!opts.resume) {
		uint64_t seed = opts.seed;
		if (!opts.seed_given && !hw_seed(&seed))
			seed = FIXED_SEED;
		anima_sim_init(&sim, seed, opts.env);
		anima_sim_individual(&sim, opts.individual_given ? opts.individual : seed);
		return 0;
	}
	err[0] = 0;
	str_add(err, errlen, "--resume ");
	str_add(err, errlen, opts.resume);
	str_add(err, errlen, ": ");
	r = volume_read(opts.resume, checkpoint, sizeof checkpoint, &len, why, sizeof why);
	if (r == 1)
		str_add(why, sizeof why, "no such file");
	if (r != 0 || anima_checkpoint_read(&sim, checkpoint, len, why, sizeof why) != 0) {
		str_add(err, errlen, why);
		return -1;
	}
	return 0;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char err[ANIMA_ERR_MAX + 64] = "";
	char line[160];
	struct anima_platform platform = {0};
	EFI_STATUS s;
	int tried;

	/* 1. Outputs and the way out. */
	console_init(st);
	acpi_init(st); /* the tables the drivers below read: SPCR, FADT, HPET, DSDT */
	serial_init();
	power_init(st);
	/* The boot manager arms a 5-minute watchdog for us; we leave boot services long before, but a slow
	 * USB read must not reset the machine under the user. */
	st->BootServices->SetWatchdogTimer(0, 0, 0, NULL);

	/* 2. Options. */
	if (volume_init(image, st) != 0)
		return refuse("cannot find the loaded image", EFI_LOAD_ERROR);
	if (options_load(&opts, err, sizeof err) != 0)
		return refuse(err, EFI_INVALID_PARAMETER);
	if (opts.help || opts.version) { /* answered in the Shell; the machine stays the firmware's */
		if (opts.help)
			anima_options_usage("anima.efi", say_line, NULL);
		else {
			anima_version_line("anima.efi", line, sizeof line);
			say(line);
		}
		return EFI_SUCCESS;
	}
	if (!opts.speed_given)
		opts.speed = 600; /* a day in 2.4 minutes: watchable; the documented UEFI default (docs/options.md) */

	/* 3. The organism. */
	if (load_organism(st, err, sizeof err) != 0)
		return refuse(err, EFI_INVALID_PARAMETER);
	anima_options_apply_sets(&opts, &sim);
	if (!opts.ticks_given)
		opts.ticks = UINT64_MAX - sim.tick; /* the default boot lives until death or a command */
	line[0] = 0;
	str_add(line, sizeof line, "# anima: seed=");
	str_add_u64(line, sizeof line, sim.seed);
	say(line);

	/* 4. The UART and the clock. */
	serial_describe(line, sizeof line);
	say(line);
	power_describe(line, sizeof line);
	say(line);
	kbd_probe();
	line[0] = 0;
	str_add(line, sizeof line, "# anima: i8042=");
	str_add(line, sizeof line, kbd_describe());
	say(line);
	timer_force((enum timer_source)opts.clock); /* --clock: the same order of words (enum anima_clock) */
	timer_init(st);
	timer_describe(line, sizeof line);
	say(line);
	if (!timer_hz() && opts.speed)
		say("# anima: no clock found: --speed is ignored, running at max");

	/* The screen, if any: its mode and buffers are set up while the firmware can still do it. */
	dashboard_init(st, &sim, &opts);
	/* USB host controllers: found and given their memory while the firmware can still allocate it. */
	xhci_prepare(st->BootServices);
	/* --trace-file: the file on the USB stick, created and mapped while the file system driver exists. */
	tracefile_prepare(st, opts.trace_file);

	/* The state this run continues, marked as such while the firmware can still compact its store. */
	if (opts.persist)
		(void)persist_begin(st, &sim);

	/* 5. Leave boot services. */
	s = exit_boot_services(image, st, &tried);
	if (EFI_ERROR(s)) {
		line[0] = 0;
		str_add(line, sizeof line, tried ? "ExitBootServices failed, status " : "no memory map, status ");
		str_add_hex(line, sizeof line, (uint64_t)s);
		if (!tried)
			return refuse(line, s);
		console_detach();
		panic(line);
	}
	console_detach();
	tracefile_capture();
	serial_puts("# anima: boot services exited\n");

	/* 6. Exceptions, the run, power off. */
	trap_init();
	usb_start();
	tracefile_start();
	live_init(&platform, &opts, &sim);
	dashboard_attach(&platform);
	anima_run(&sim, &opts, &platform, 1);
	int saved = !opts.persist || persist_save(&sim, 1) == 0;
	tracefile_end();
	if (!saved && fb_width() && timer_hz()) {
		/* The last save did not fit: the message is on the screen; leave it there a while before the
		 * power goes, or nobody at the machine ever reads it. */
		uint64_t t0 = timer_now();
		while (timer_now() - t0 < PERSIST_FAIL_HOLD_S * timer_hz())
			;
	}
	power_off();
}
