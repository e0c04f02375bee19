package meshflow.nexmark;

/** One Nexmark event: {@code kind} tells which of the three fields is set. */
public class Event {
  public static final int PERSON = 0;
  public static final int AUCTION = 1;
  public static final int BID = 2;

  public int kind;
  public Person person;
  public Auction auction;
  public Bid bid;

  public Event() {}

  /** The event as meshflow's generator's JSON (same keys in the same order), for the port check. */
  public String toJson() {
    StringBuilder s = new StringBuilder(256);
    if (kind == PERSON) {
      Person p = person;
      s.append("{\"kind\":\"person\",\"id\":").append(p.id)
        .append(",\"name\":\"").append(p.name)
        .append("\",\"emailAddress\":\"").append(p.emailAddress)
        .append("\",\"creditCard\":\"").append(p.creditCard)
        .append("\",\"city\":\"").append(p.city)
        .append("\",\"state\":\"").append(p.state)
        .append("\",\"dateTime\":").append(p.dateTime)
        .append(",\"extra\":\"").append(p.extra).append("\"}");
    } else if (kind == AUCTION) {
      Auction a = auction;
      s.append("{\"kind\":\"auction\",\"id\":").append(a.id)
        .append(",\"itemName\":\"").append(a.itemName)
        .append("\",\"description\":\"").append(a.description)
        .append("\",\"initialBid\":").append(a.initialBid)
        .append(",\"reserve\":").append(a.reserve)
        .append(",\"dateTime\":").append(a.dateTime)
        .append(",\"expires\":").append(a.expires)
        .append(",\"seller\":").append(a.seller)
        .append(",\"category\":").append(a.category)
        .append(",\"extra\":\"").append(a.extra).append("\"}");
    } else {
      Bid b = bid;
      s.append("{\"kind\":\"bid\",\"auction\":").append(b.auction)
        .append(",\"bidder\":").append(b.bidder)
        .append(",\"price\":").append(b.price)
        .append(",\"channel\":\"").append(b.channel)
        .append("\",\"url\":\"").append(b.url)
        .append("\",\"dateTime\":").append(b.dateTime)
        .append(",\"extra\":\"").append(b.extra).append("\"}");
    }
    return s.toString();
  }
}
