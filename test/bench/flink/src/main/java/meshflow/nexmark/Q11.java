package meshflow.nexmark;

import java.time.Duration;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * q11, user sessions, as test/bench/nexmark/q11.ts: bids per bidder in session windows
 * with a gap of 10 s, emitting the bidder, the count and the session's bounds.
 */
public final class Q11 {
  private Q11() {}

  /** A result: one session of one bidder. */
  public static class Out {
    public long bidder;
    public long count;
    public long start;
    public long end;

    public Out() {}
  }

  static final class Count implements AggregateFunction<Bid, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Bid b, Long n) {
      return n + 1;
    }

    @Override
    public Long getResult(Long n) {
      return n;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  static final class Session extends ProcessWindowFunction<Long, Out, Long, TimeWindow> {
    @Override
    public void process(Long bidder, Context ctx, Iterable<Long> counts, Collector<Out> out) {
      Out o = new Out();
      o.bidder = bidder;
      o.count = counts.iterator().next();
      o.start = ctx.window().getStart();
      o.end = ctx.window().getEnd();
      out.collect(o);
    }
  }

  public static void build(DataStream<Event> events) {
    Kinds.bids(events)
      .keyBy(b -> b.bidder, Types.LONG)
      .window(EventTimeSessionWindows.withGap(Duration.ofSeconds(10)))
      .aggregate(new Count(), new Session()).name("q11")
      .addSink(new ChecksumSink<Out>() {
        @Override
        protected long value(Out o) {
          return o.bidder + 3 * o.count + 7 * o.start + 11 * o.end;
        }
      }).name("checksum");
  }
}
