package meshflow.nexmark;

import java.time.Duration;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * q5, hot items, as test/bench/nexmark/q5.ts: bids per auction in sliding windows of 10 s
 * every 2 s, then the auctions with the most bids of each window (keyed by the window's
 * end, in a tumbling window of the slide holding the counts stamped end - 1).
 */
public final class Q5 {
  private Q5() {}

  /** An auction's bid count in one sliding window. */
  public static class Out {
    public long auction;
    public long num;
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

  static final class WithWindow extends ProcessWindowFunction<Long, Out, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<Out> out) {
      Out o = new Out();
      o.auction = auction;
      o.num = counts.iterator().next();
      o.start = ctx.window().getStart();
      o.end = ctx.window().getEnd();
      out.collect(o);
    }
  }

  static final class Hottest extends ProcessWindowFunction<Out, Out, Long, TimeWindow> {
    @Override
    public void process(Long end, Context ctx, Iterable<Out> counts, Collector<Out> out) {
      long max = 0;
      for (Out c : counts) if (c.num > max) max = c.num;
      for (Out c : counts) if (c.num >= max) out.collect(c);
    }
  }

  public static void build(DataStream<Event> events) {
    Kinds.bids(events)
      .keyBy(b -> b.auction, Types.LONG)
      .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(2)))
      .aggregate(new Count(), new WithWindow()).name("bids-per-auction")
      .keyBy(c -> c.end, Types.LONG)
      .window(TumblingEventTimeWindows.of(Duration.ofSeconds(2)))
      .process(new Hottest()).name("q5")
      .addSink(new ChecksumSink<Out>() {
        @Override
        protected long value(Out o) {
          return o.auction + 3 * o.num + 7 * o.start + 11 * o.end;
        }
      }).name("checksum");
  }
}
