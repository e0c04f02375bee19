package meshflow.nexmark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * q4, average closing price per category, as test/bench/nexmark/q4.ts: auctions and bids
 * keyed by auction id; the highest bid made while the auction was open is its closing
 * price, settled at an event-time timer at its expiry; a bid read before its auction waits
 * and is dropped once the watermark passes its time; the running average per category is
 * emitted at each close.
 */
public final class Q4 {
  private Q4() {}

  /** An auction's closing price. */
  public static class Closed {
    public long auction;
    public long category;
    public long finalPrice;

    public Closed() {}
  }

  /** A category's average closing price after one more auction closed. */
  public static class Out {
    public long category;
    public double average;

    public Out() {}
  }

  /** What the join keeps of an open auction. */
  public static class Open {
    public long category;
    public long dateTime;
    public long expires;

    public Open() {}
  }

  /** A bid that came before its auction. */
  public static class Early {
    public long price;
    public long dateTime;

    public Early() {}
  }

  static final class ClosingPrice extends KeyedCoProcessFunction<Long, Auction, Bid, Closed> {
    private transient ValueState<Open> auction;
    private transient ValueState<Long> max;
    private transient ListState<Early> early;

    @Override
    public void open(OpenContext context) {
      auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", Open.class));
      max = getRuntimeContext().getState(new ValueStateDescriptor<>("max-price", Long.class));
      early = getRuntimeContext().getListState(new ListStateDescriptor<>("early-bids", Early.class));
    }

    private void accept(Open a, long price, long dateTime) throws Exception {
      if (dateTime < a.dateTime || dateTime > a.expires) return;
      Long m = max.value();
      if (price > (m == null ? -1 : m)) max.update(price);
    }

    @Override
    public void processElement1(Auction a, Context ctx, Collector<Closed> out) throws Exception {
      Open open = new Open();
      open.category = a.category;
      open.dateTime = a.dateTime;
      open.expires = a.expires;
      auction.update(open);
      Iterable<Early> waiting = early.get();
      if (waiting != null) {
        boolean any = false;
        for (Early b : waiting) {
          accept(open, b.price, b.dateTime);
          any = true;
        }
        if (any) early.clear();
      }
      ctx.timerService().registerEventTimeTimer(a.expires);
    }

    @Override
    public void processElement2(Bid b, Context ctx, Collector<Closed> out) throws Exception {
      Open a = auction.value();
      if (a != null) {
        accept(a, b.price, b.dateTime);
      } else {
        Early e = new Early();
        e.price = b.price;
        e.dateTime = b.dateTime;
        early.add(e);
        ctx.timerService().registerEventTimeTimer(b.dateTime);
      }
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<Closed> out) throws Exception {
      Open a = auction.value();
      if (a == null) {
        Iterable<Early> waiting = early.get();
        if (waiting == null) return;
        List<Early> kept = new ArrayList<>();
        int n = 0;
        for (Early b : waiting) {
          n++;
          if (b.dateTime > time) kept.add(b);
        }
        if (kept.size() != n) early.update(kept);
        return;
      }
      if (time < a.expires) return;
      Long f = max.value();
      if (f != null) {
        Closed c = new Closed();
        c.auction = ctx.getCurrentKey();
        c.category = a.category;
        c.finalPrice = f;
        out.collect(c);
      }
      auction.clear();
      max.clear();
    }
  }

  static final class AveragePerCategory extends KeyedProcessFunction<Long, Closed, Out> {
    private transient ValueState<Long> sum;
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext context) {
      sum = getRuntimeContext().getState(new ValueStateDescriptor<>("sum", Long.class));
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Long.class));
    }

    @Override
    public void processElement(Closed c, Context ctx, Collector<Out> out) throws Exception {
      Long s0 = sum.value();
      Long n0 = count.value();
      long s = (s0 == null ? 0 : s0) + c.finalPrice;
      long n = (n0 == null ? 0 : n0) + 1;
      sum.update(s);
      count.update(n);
      Out o = new Out();
      o.category = c.category;
      o.average = (double) s / n;
      out.collect(o);
    }
  }

  /**
   * The updates' order within a category may differ between systems (auctions closing at
   * the same time), so each record adds only its category, and the end adds, per category,
   * 7 * round(1000 * its last average): the sink is forward-connected to the keyed
   * average, so the last update of a category to arrive is its final one. Count and
   * checksum then agree exactly when both systems emit the same number of updates per
   * category and the same final averages — as q4Checksum in flink.ts.
   */
  static final class Q4Sink extends ChecksumSink<Out> {
    private static final long serialVersionUID = 1L;
    private transient Map<Long, Double> last;

    @Override
    protected long value(Out o) {
      if (last == null) last = new HashMap<>();
      last.put(o.category, o.average);
      return o.category;
    }

    @Override
    protected long finalValue() {
      long v = 0;
      if (last != null) for (double average : last.values()) v = (v + 7 * Math.round(average * 1000) % MODULUS) % MODULUS;
      return v;
    }
  }

  public static void build(DataStream<Event> events) {
    DataStream<Auction> auctions = Kinds.auctions(events);
    DataStream<Bid> bids = Kinds.bids(events);
    auctions.keyBy(a -> a.id, Types.LONG)
      .connect(bids.keyBy(b -> b.auction, Types.LONG))
      .process(new ClosingPrice()).name("closing-price")
      .keyBy(c -> c.category, Types.LONG)
      .process(new AveragePerCategory()).name("q4")
      .addSink(new Q4Sink()).name("checksum");
  }
}
