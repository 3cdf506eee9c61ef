/* core/checkpoint.c - a run's whole state as bytes: explicit little-endian, versioned, bound to the layout of
 * the catalogue it was taken with, and checksummed, so a resumed run continues bit for bit or is refused.
 *
 * Which checkpoints a build loads (docs/options.md, "Checkpoints"): those whose layout hash
 * (anima_layout_hash: the state variables, parameters, delay rings and update periods, by name and order)
 * equals the build's. The catalogue hash is recorded too; when only it differs, the catalogue was edited without
 * moving a byte of the layout (a parameter value, an initial value, a rule): the checkpoint loads, its state and
 * its parameter values (the individual's, and any --set it ran with) go on under this build's rules, and
 * anima_checkpoint_same_catalogue() lets the program say so. Format 1 (before the layout hash) loads only into
 * a build of the same catalogue. */
#include "anima.h"
#include "util.h"

#define MAGIC "ANIMACKP"
#define CHECKPOINT_FORMAT 2u
#define HEADER_V1 24 /* magic, format, payload words, catalogue hash */
#define HEADER_V2 32 /* ... and the layout hash */


struct cursor {
	uint8_t *w;
	const uint8_t *r;
	size_t pos, cap;
	int bad;
};

static void put(struct cursor *c, uint64_t v, unsigned bytes)
{
	if (c->pos + bytes > c->cap) {
		c->bad = 1;
		return;
	}
	for (unsigned i = 0; i < bytes; i++)
		c->w[c->pos++] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(struct cursor *c, unsigned bytes)
{
	uint64_t v = 0;
	if (c->pos + bytes > c->cap) {
		c->bad = 1;
		return 0;
	}
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)c->r[c->pos++] << (8 * i);
	return v;
}

/* Word arrays of any length, zero included (a catalogue may have no parameters or no delays). */
static void put_words(struct cursor *c, const int32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(c, (uint32_t)w[i], 4);
}

static void get_words(struct cursor *c, int32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w[i] = (int32_t)(uint32_t)get(c, 4);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define PAYLOAD_WORDS (ANIMA_NVARS + ANIMA_NPARAMS + ANIMA_DELAY_WORDS)

size_t anima_checkpoint_write(const struct anima_sim *sim, uint8_t *buf, size_t cap)
{
	struct cursor c = {buf, 0, 0, cap, 0};
	for (int i = 0; i < 8; i++)
		put(&c, (uint8_t)MAGIC[i], 1);
	put(&c, CHECKPOINT_FORMAT, 4);
	put(&c, PAYLOAD_WORDS, 4);
	put(&c, anima_gen_catalogue_hash(), 8);
	put(&c, anima_layout_hash, 8);
	put(&c, sim->tick, 8);
	put(&c, sim->seed, 8);
	put(&c, (uint32_t)sim->env, 4);
	put_words(&c, sim->state, ANIMA_NVARS);
	put_words(&c, sim->params, ANIMA_NPARAMS);
	put_words(&c, sim->delay, ANIMA_DELAY_WORDS);
	if (c.bad)
		return 0;
	put(&c, fnv1a(buf, c.pos), 8);
	return c.bad ? 0 : c.pos;
}

static int refuse(char *err, size_t errlen, const char *why)
{
	struct anima_str s = {err, errlen, 0};
	anima_str_add(&s, why);
	return -1;
}

/* Appends the name of variable k (0-based, the trace column after `tick`). */
static void add_column_name(struct anima_str *s, uint32_t k)
{
	struct anima_column c;
	if (anima_column_at(k + 1, &c))
		anima_str_addn(s, c.name, c.len);
}

static int refuse_value(char *err, size_t errlen, const char *what, uint32_t col, const char *name, int64_t v,
			int64_t lo, int64_t hi)
{
	struct anima_str s = {err, errlen, 0};
	anima_str_add(&s, "checkpoint is damaged (");
	anima_str_add(&s, what);
	if (name)
		anima_str_add(&s, name);
	else
		add_column_name(&s, col);
	anima_str_add(&s, " = ");
	anima_str_i64(&s, v);
	anima_str_add(&s, " is outside its declared range ");
	anima_str_i64(&s, lo);
	anima_str_add(&s, "..");
	anima_str_i64(&s, hi);
	anima_str_add(&s, ")");
	return -1;
}

/* A checkpoint is input: whatever its checksum says, the engine only ever sees values its generated code can
 * meet in a run (every variable, parameter and delayed value within its declared range, a tick the day counter
 * holds, a known environment). Everything else the engine indexes with (update phases, ring positions) is
 * derived from the tick, not read. The one check, for anima-sim --resume, anima.efi --resume and --persist. */
static int validate(const struct anima_sim *sim, char *err, size_t errlen)
{
	if (sim->tick > ANIMA_TICK_MAX)
		return refuse(err, errlen, "checkpoint is damaged (tick beyond the last day the engine counts)");
	if (sim->env < ANIMA_ENV_NORMAL || sim->env > ANIMA_ENV_LIGHT)
		return refuse(err, errlen, "checkpoint is damaged (bad environment)");
	for (uint32_t k = 0; k < ANIMA_NVARS; k++) {
		int32_t v = sim->state[anima_trace_slots[k]];
		if (v < anima_var_range[k][0] || v > anima_var_range[k][1])
			return refuse_value(err, errlen, "", k, NULL, v, anima_var_range[k][0], anima_var_range[k][1]);
	}
	const uint32_t nparams = ANIMA_NPARAMS; /* may be 0 */
	for (uint32_t k = 0; k < nparams; k++) {
		int32_t v = sim->params[k];
		if (v < anima_param_range[k][0] || v > anima_param_range[k][1])
			return refuse_value(err, errlen, "parameter ", 0, anima_param_name(k), v, anima_param_range[k][0],
					    anima_param_range[k][1]);
	}
	const uint32_t nrings = ANIMA_NRINGS; /* may be 0 */
	for (uint32_t r = 0; r < nrings; r++) {
		const struct anima_ring_desc *d = &anima_ring_descs[r];
		const int32_t *range = anima_var_range[d->src_col];
		for (uint32_t i = 0; i < d->size; i++) {
			int32_t v = sim->delay[d->offset + i];
			if (v < range[0] || v > range[1])
				return refuse_value(err, errlen, "delayed ", d->src_col, NULL, v, range[0], range[1]);
		}
	}
	return 0;
}

int anima_checkpoint_read(struct anima_sim *sim, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct cursor c = {0, buf, 0, len, 0};
	if (len < 44)
		return refuse(err, errlen, "not an anima checkpoint (too short)");
	for (int i = 0; i < 8; i++)
		if (get(&c, 1) != (uint8_t)MAGIC[i])
			return refuse(err, errlen, "not an anima checkpoint (bad magic)");
	uint32_t format = (uint32_t)get(&c, 4);
	if (format != 1 && format != CHECKPOINT_FORMAT)
		return refuse(err, errlen, "checkpoint format version is not supported by this build");
	uint32_t words = (uint32_t)get(&c, 4);
	uint64_t catalogue = get(&c, 8);
	size_t header = format == 1 ? HEADER_V1 : HEADER_V2;
	int same_layout = format == 1 ? catalogue == anima_gen_catalogue_hash() : get(&c, 8) == anima_layout_hash;
	if (words != PAYLOAD_WORDS || !same_layout)
		return refuse(err, errlen, "checkpoint was taken with another catalogue");
	if (len != header + 20 + 4 * (size_t)PAYLOAD_WORDS + 8)
		return refuse(err, errlen, "checkpoint is damaged (wrong length)");
	if (fnv1a(buf, len - 8) != (c.pos = len - 8, get(&c, 8)))
		return refuse(err, errlen, "checkpoint is damaged (checksum mismatch)");
	c.pos = header;
	uint64_t tick = get(&c, 8);
	uint64_t seed = get(&c, 8);
	uint32_t env = (uint32_t)get(&c, 4);
	if (env > ANIMA_ENV_LIGHT)
		return refuse(err, errlen, "checkpoint is damaged (bad environment)");
	/* Read into a scratch copy: *sim is touched only by a checkpoint that passes. */
	static struct anima_sim in;
	anima_sim_init(&in, seed, (int)env);
	in.tick = tick;
	get_words(&c, in.state, ANIMA_NVARS);
	get_words(&c, in.params, ANIMA_NPARAMS);
	get_words(&c, in.delay, ANIMA_DELAY_WORDS);
	if (validate(&in, err, errlen))
		return -1;
	anima_copy32(in.next, in.state, ANIMA_NVARS);
	anima_derive_phases(&in);
	*sim = in;
	return 0;
}

int anima_checkpoint_same_catalogue(const uint8_t *buf, size_t len)
{
	struct cursor c = {0, buf, 16, len, 0};
	return len >= HEADER_V1 && get(&c, 8) == anima_gen_catalogue_hash();
}
