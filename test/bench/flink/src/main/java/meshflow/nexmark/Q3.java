package meshflow.nexmark;

import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * q3, local item suggestion, as test/bench/nexmark/q3.ts: sellers from OR, ID or CA of
 * auctions in category 10, an unbounded join of auctions and persons keyed by the person
 * id, holding the person and the auctions still waiting for their seller.
 */
public final class Q3 {
  private Q3() {}

  /** A result: the seller's name, city and state, and the auction's id. */
  public static class Out {
    public String name;
    public String city;
    public String state;
    public long id;

    public Out() {}
  }

  static final class InCategory10 implements FilterFunction<Auction> {
    @Override
    public boolean filter(Auction a) {
      return a.category == 10;
    }
  }

  static final class InStates implements FilterFunction<Person> {
    @Override
    public boolean filter(Person p) {
      return p.state.equals("OR") || p.state.equals("ID") || p.state.equals("CA");
    }
  }

  static Out joined(Person p, long auctionId) {
    Out o = new Out();
    o.name = p.name;
    o.city = p.city;
    o.state = p.state;
    o.id = auctionId;
    return o;
  }

  static final class Join extends KeyedCoProcessFunction<Long, Auction, Person, Out> {
    private transient ValueState<Person> person;
    private transient ListState<Long> waiting;

    @Override
    public void open(OpenContext context) {
      person = getRuntimeContext().getState(new ValueStateDescriptor<>("person", Person.class));
      waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-auctions", Long.class));
    }

    @Override
    public void processElement1(Auction a, Context ctx, Collector<Out> out) throws Exception {
      Person p = person.value();
      if (p != null) out.collect(joined(p, a.id));
      else waiting.add(a.id);
    }

    @Override
    public void processElement2(Person p, Context ctx, Collector<Out> out) throws Exception {
      person.update(p);
      Iterable<Long> ids = waiting.get();
      if (ids == null) return;
      boolean any = false;
      for (Long id : ids) {
        out.collect(joined(p, id));
        any = true;
      }
      if (any) waiting.clear();
    }
  }

  public static void build(DataStream<Event> events) {
    DataStream<Auction> auctions = Kinds.auctions(events).filter(new InCategory10()).name("category-10");
    DataStream<Person> persons = Kinds.persons(events).filter(new InStates()).name("or-id-ca");
    auctions.keyBy(a -> a.seller, Types.LONG)
      .connect(persons.keyBy(p -> p.id, Types.LONG))
      .process(new Join()).name("q3")
      .addSink(new ChecksumSink<Out>() {
        @Override
        protected long value(Out o) {
          return o.id + 3 * stringHash(o.name) + 7 * stringHash(o.city) + 11 * stringHash(o.state);
        }
      }).name("checksum");
  }
}
