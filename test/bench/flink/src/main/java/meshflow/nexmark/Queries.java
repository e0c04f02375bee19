package meshflow.nexmark;

import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/** Nexmark q0-q2 on the DataStream API, as test/bench/nexmark/q0.ts..q2.ts, each with its sink. */
public final class Queries {
  private Queries() {}

  static final class IsBid implements FilterFunction<Event> {
    @Override
    public boolean filter(Event e) {
      return e.kind == Event.BID;
    }
  }

  static final class ToBid implements MapFunction<Event, Bid> {
    @Override
    public Bid map(Event e) {
      return e.bid;
    }
  }

  /** q0, pass-through: every bid. */
  public static void q0(DataStream<Event> events) {
    events.filter(new IsBid()).name("q0").map(new ToBid()).name("bid").addSink(new ChecksumSink<Bid>() {
      @Override
      protected long value(Bid b) {
        return b.auction + 3 * b.bidder + 7 * b.price + 11 * b.dateTime + 13L * (b.channel.length() + b.url.length() + b.extra.length());
      }
    }).name("checksum");
  }

  static final class Euros implements MapFunction<Event, Q1Out> {
    @Override
    public Q1Out map(Event e) {
      Bid b = e.bid;
      Q1Out o = new Q1Out();
      o.auction = b.auction;
      o.bidder = b.bidder;
      o.price = b.price * 908.0 / 1000.0;
      o.dateTime = b.dateTime;
      o.extra = b.extra;
      return o;
    }
  }

  /** q1, currency conversion: every bid with its price in euros. */
  public static void q1(DataStream<Event> events) {
    events.filter(new IsBid()).name("bids").map(new Euros()).name("q1").addSink(new ChecksumSink<Q1Out>() {
      @Override
      protected long value(Q1Out o) {
        return o.auction + 3 * o.bidder + 7 * Math.round(o.price * 1000) + 11 * o.dateTime + 13L * o.extra.length();
      }
    }).name("checksum");
  }

  static final class Selected implements FilterFunction<Event> {
    @Override
    public boolean filter(Event e) {
      return e.kind == Event.BID && e.bid.auction % 123 == 0;
    }
  }

  static final class Project implements MapFunction<Event, Q2Out> {
    @Override
    public Q2Out map(Event e) {
      Q2Out o = new Q2Out();
      o.auction = e.bid.auction;
      o.price = e.bid.price;
      return o;
    }
  }

  /** q2, selection: auction and price of the bids on every 123rd auction. */
  public static void q2(DataStream<Event> events) {
    events.filter(new Selected()).name("q2").map(new Project()).name("project").addSink(new ChecksumSink<Q2Out>() {
      @Override
      protected long value(Q2Out o) {
        return o.auction + 7 * o.price;
      }
    }).name("checksum");
  }
}
