package meshflow.nexmark;

import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/** The persons, auctions and bids of the event stream, each as its own type. */
public final class Kinds {
  private Kinds() {}

  static final class IsKind implements FilterFunction<Event> {
    private final int kind;

    IsKind(int kind) {
      this.kind = kind;
    }

    @Override
    public boolean filter(Event e) {
      return e.kind == kind;
    }
  }

  static final class ToPerson implements MapFunction<Event, Person> {
    @Override
    public Person map(Event e) {
      return e.person;
    }
  }

  static final class ToAuction implements MapFunction<Event, Auction> {
    @Override
    public Auction map(Event e) {
      return e.auction;
    }
  }

  public static DataStream<Person> persons(DataStream<Event> events) {
    return events.filter(new IsKind(Event.PERSON)).name("persons").map(new ToPerson()).name("person");
  }

  public static DataStream<Auction> auctions(DataStream<Event> events) {
    return events.filter(new IsKind(Event.AUCTION)).name("auctions").map(new ToAuction()).name("auction");
  }

  public static DataStream<Bid> bids(DataStream<Event> events) {
    return events.filter(new Queries.IsBid()).name("bids").map(new Queries.ToBid()).name("bid");
  }

  /** The end of the tumbling window of {@code size} ms holding {@code ts}, as windowEnd in common.ts. */
  public static long windowEnd(long ts, long size) {
    return ts - Math.floorMod(ts, size) + size;
  }
}
