package meshflow.nexmark;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

/**
 * Counts the records reaching it and sums a per-record integer (below 2^53) modulo
 * {@link #MODULUS} into the accumulators "results" and "checksum"; the bench computes the
 * same sum over meshflow's output, so the order of records does not matter (sums may be
 * negative: Main reduces the total to [0, MODULUS)).
 */
public abstract class ChecksumSink<T> extends RichSinkFunction<T> {
  private static final long serialVersionUID = 1L;
  public static final long MODULUS = 1_000_000_007L;
  private transient LongCounter results;
  private transient LongCounter checksum;
  private transient long count;
  private transient long sum;

  /** The record's integer: the same formula as checksums in test/bench/nexmark/flink.ts. */
  protected abstract long value(T record);

  /** What is added once at the end (order-dependent queries: a sum over final per-key values). */
  protected long finalValue() {
    return 0;
  }

  /** A string's integer: h = (31 h + char) mod MODULUS over its UTF-16 units, as stringHash in flink.ts. */
  public static long stringHash(String s) {
    long h = 0;
    for (int i = 0; i < s.length(); i++) h = (h * 31 + s.charAt(i)) % MODULUS;
    return h;
  }

  @Override
  public void open(Configuration parameters) {
    results = new LongCounter();
    checksum = new LongCounter();
    getRuntimeContext().addAccumulator("results", results);
    getRuntimeContext().addAccumulator("checksum", checksum);
  }

  @Override
  public void invoke(T record, Context context) {
    count++;
    sum = (sum + value(record) % MODULUS) % MODULUS;
  }

  @Override
  public void finish() {
    results.add(count);
    checksum.add((sum + finalValue() % MODULUS) % MODULUS);
  }
}
