package meshflow.nexmark;

/**
 * The per-event random stream of meshflow's Nexmark generator, ported bit for bit from
 * connectors/nexmark/random.ts: re-seeded from (seed, event id) at each event, MurmurHash3's
 * finaliser for the seed and mulberry32 for the stream, all on int32 with unsigned shifts.
 */
public final class EventRandom {
  private static final double TWO_POW_32 = 4294967296.0;
  private int state;

  private static int fmix32(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  /** Restarts the stream for event {@code id} of a generator seeded with {@code seed}. */
  public void reset(int seed, long id) {
    int lo = (int) id;
    int hi = (int) (id >> 32); // floor(id / 2^32) | 0
    state = fmix32(fmix32(seed ^ 0x9e3779b9 ^ lo) + hi);
  }

  /** The next unsigned 32-bit value (mulberry32). */
  public long nextU32() {
    int a = state += 0x6d2b79f5;
    int t = (a ^ (a >>> 15)) * (1 | a);
    t = (t + (t ^ (t >>> 7)) * (61 | t)) ^ t;
    return (t ^ (t >>> 14)) & 0xffffffffL;
  }

  /** An integer in [0, n); n at most 2^21. */
  public int nextInt(long n) {
    return (int) ((nextU32() * n) >>> 32);
  }

  /** An integer in [0, n) for any n below 2^53. */
  public long nextLong(long n) {
    if (n <= 2097152) return nextInt(n);
    long bits53 = (nextU32() >>> 11) * 4294967296L + nextU32();
    return (long) Math.floor((double) bits53 / 9007199254740992.0 * (double) n);
  }

  /** A number in [0, 1). */
  public double nextDouble() {
    return nextU32() / TWO_POW_32;
  }
}
