package meshflow.nexmark;

/** A bid on an auction (connectors/nexmark/model.ts). */
public class Bid {
  public long auction;
  public long bidder;
  public long price;
  public String channel;
  public String url;
  public long dateTime;
  public String extra;

  public Bid() {}
}
