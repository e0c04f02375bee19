package meshflow.nexmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * q7, highest bid, as test/bench/nexmark/q7.ts: the bids of each tumbling window of 10 s
 * whose price is the window's highest — the window's maximum (per auction, then over the
 * window) joined back with the bids keyed by price, each bid held until the watermark
 * reaches its window's last millisecond.
 */
public final class Q7 {
  private Q7() {}

  static final long WINDOW_MS = 10_000;

  /** A result: one of the window's highest bids. */
  public static class Out {
    public long auction;
    public long price;
    public long bidder;
    public long dateTime;
    public String extra;

    public Out() {}
  }

  /** The highest price of the window ending at {@code end}. */
  public static class Max {
    public long end;
    public long price;

    public Max() {}
  }

  static final class MaxPrice implements AggregateFunction<Bid, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Bid b, Long max) {
      return b.price > max ? b.price : max;
    }

    @Override
    public Long getResult(Long max) {
      return max;
    }

    @Override
    public Long merge(Long a, Long b) {
      return Math.max(a, b);
    }
  }

  static final class WithEnd extends ProcessWindowFunction<Long, Max, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<Long> maxes, Collector<Max> out) {
      Max m = new Max();
      m.end = ctx.window().getEnd();
      m.price = maxes.iterator().next();
      out.collect(m);
    }
  }

  static final class JoinHighest extends KeyedCoProcessFunction<Long, Bid, Max, Out> {
    private transient ListState<Out> bids;
    private transient ListState<Long> maxOf;

    @Override
    public void open(OpenContext context) {
      bids = getRuntimeContext().getListState(new ListStateDescriptor<>("bids", Out.class));
      maxOf = getRuntimeContext().getListState(new ListStateDescriptor<>("max-of-windows", Long.class));
    }

    @Override
    public void processElement1(Bid b, Context ctx, Collector<Out> out) throws Exception {
      Out o = new Out();
      o.auction = b.auction;
      o.price = b.price;
      o.bidder = b.bidder;
      o.dateTime = b.dateTime;
      o.extra = b.extra;
      bids.add(o);
      ctx.timerService().registerEventTimeTimer(Kinds.windowEnd(b.dateTime, WINDOW_MS) - 1);
    }

    @Override
    public void processElement2(Max m, Context ctx, Collector<Out> out) throws Exception {
      maxOf.add(m.end);
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<Out> out) throws Exception {
      long end = time + 1;
      boolean highest = false;
      List<Long> otherEnds = new ArrayList<>();
      Iterable<Long> ends = maxOf.get();
      if (ends != null) {
        for (Long e : ends) {
          if (e == end) highest = true;
          else otherEnds.add(e);
        }
      }
      if (highest) {
        if (otherEnds.isEmpty()) maxOf.clear();
        else maxOf.update(otherEnds);
      }
      Iterable<Out> held = bids.get();
      if (held == null) return;
      List<Out> later = new ArrayList<>();
      int n = 0;
      for (Out b : held) {
        n++;
        if (Kinds.windowEnd(b.dateTime, WINDOW_MS) != end) later.add(b);
        else if (highest) out.collect(b);
      }
      if (later.isEmpty()) bids.clear();
      else if (later.size() != n) bids.update(later);
    }
  }

  public static void build(DataStream<Event> events) {
    DataStream<Bid> bids = Kinds.bids(events);
    DataStream<Max> maxes = bids.keyBy(b -> b.auction, Types.LONG)
      .window(TumblingEventTimeWindows.of(Duration.ofMillis(WINDOW_MS)))
      .aggregate(new MaxPrice(), new WithEnd()).name("max-per-auction")
      .keyBy(m -> m.end, Types.LONG)
      .window(TumblingEventTimeWindows.of(Duration.ofMillis(WINDOW_MS)))
      .reduce((a, b) -> a.price >= b.price ? a : b).name("max-per-window");
    bids.keyBy(b -> b.price, Types.LONG)
      .connect(maxes.keyBy(m -> m.price, Types.LONG))
      .process(new JoinHighest()).name("q7")
      .addSink(new ChecksumSink<Out>() {
        @Override
        protected long value(Out o) {
          return o.auction + 3 * o.bidder + 7 * o.price + 11 * o.dateTime + 13L * o.extra.length();
        }
      }).name("checksum");
  }
}
