package meshflow.nexmark;

import java.time.Duration;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * q8, monitor new users, as test/bench/nexmark/q8.ts: the persons who opened an auction in
 * the tumbling window of 10 s in which they registered, one result per person and window —
 * persons and auctions' sellers in one keyed window whose accumulator holds the name and
 * whether an auction was seen.
 */
public final class Q8 {
  private Q8() {}

  /** A result: the person and the window's start. */
  public static class Out {
    public long id;
    public String name;
    public long start;

    public Out() {}
  }

  /** A person (with a name) or an auction of seller {@code id} (name null). */
  public static class In {
    public long id;
    public String name;

    public In() {}
  }

  /** What a window saw of one person id. */
  public static class Seen {
    public String name;
    public boolean auction;

    public Seen() {}
  }

  static final class FromPerson implements MapFunction<Person, In> {
    @Override
    public In map(Person p) {
      In v = new In();
      v.id = p.id;
      v.name = p.name;
      return v;
    }
  }

  static final class FromAuction implements MapFunction<Auction, In> {
    @Override
    public In map(Auction a) {
      In v = new In();
      v.id = a.seller;
      return v;
    }
  }

  static final class SeenAgg implements AggregateFunction<In, Seen, Seen> {
    @Override
    public Seen createAccumulator() {
      return new Seen();
    }

    @Override
    public Seen add(In v, Seen acc) {
      if (v.name != null) acc.name = v.name;
      else acc.auction = true;
      return acc;
    }

    @Override
    public Seen getResult(Seen acc) {
      return acc;
    }

    @Override
    public Seen merge(Seen a, Seen b) {
      Seen s = new Seen();
      s.name = a.name != null ? a.name : b.name;
      s.auction = a.auction || b.auction;
      return s;
    }
  }

  static final class Joined extends ProcessWindowFunction<Seen, Out, Long, TimeWindow> {
    @Override
    public void process(Long id, Context ctx, Iterable<Seen> seen, Collector<Out> out) {
      Seen s = seen.iterator().next();
      if (s.name == null || !s.auction) return;
      Out o = new Out();
      o.id = id;
      o.name = s.name;
      o.start = ctx.window().getStart();
      out.collect(o);
    }
  }

  public static void build(DataStream<Event> events) {
    DataStream<In> persons = Kinds.persons(events).map(new FromPerson()).name("person-id");
    DataStream<In> sellers = Kinds.auctions(events).map(new FromAuction()).name("seller-id");
    persons.union(sellers)
      .keyBy(v -> v.id, Types.LONG)
      .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
      .aggregate(new SeenAgg(), new Joined()).name("q8")
      .addSink(new ChecksumSink<Out>() {
        @Override
        protected long value(Out o) {
          return o.id + 3 * stringHash(o.name) + 7 * o.start;
        }
      }).name("checksum");
  }
}
