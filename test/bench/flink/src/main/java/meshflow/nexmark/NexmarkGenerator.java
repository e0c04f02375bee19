package meshflow.nexmark;

/**
 * Generates Nexmark events by index: a line-by-line port of connectors/nexmark/generator.ts
 * (event i is a pure function of the configuration and i; see that file for the design).
 * The bench checks the port against the TypeScript generator event by event.
 */
public final class NexmarkGenerator {
  public static final long FIRST_PERSON_ID = 1000;
  public static final long FIRST_AUCTION_ID = 1000;
  public static final long FIRST_CATEGORY_ID = 10;
  public static final long NUM_CATEGORIES = 5;
  private static final long HOT_RATIO = 100;
  private static final long PERSON_ID_LEAD = 10;
  private static final long AUCTION_ID_LEAD = 10;
  private static final int CHANNELS = 10_000;
  private static final String[] HOT_CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};
  private static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  private static final String[] US_CITIES = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"};
  private static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
  private static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  private static final int MIN_STRING_LENGTH = 3;
  private static final int LETTERS_LENGTH = 1 << 20;
  private static final int WORDS_LENGTH = 1 << 16;
  private static final long LETTERS_STREAM = -1;
  private static final long WORDS_STREAM = -2;
  private static final long HOT_URL_STREAM = -10;
  private static final long CHANNEL_STREAM = -100_000;

  public final GeneratorConfig config;
  private final EventRandom random = new EventRandom();
  private final EventRandom tableRandom = new EventRandom();
  private final long total;
  private final double delayUs;
  private final String letters;
  private final String words;
  private final String[] names;
  private final String[] hotUrls;
  private final String[] channelUrls = new String[CHANNELS];
  private final String[] channelNames = new String[CHANNELS];

  public NexmarkGenerator(GeneratorConfig c) {
    config = c;
    total = c.personProportion + c.auctionProportion + c.bidProportion;
    delayUs = 1_000_000 / c.eventsPerSecond;
    EventRandom r = tableRandom;
    r.reset(c.seed, LETTERS_STREAM);
    letters = randomText(r, LETTERS_LENGTH, (char) 0);
    r.reset(c.seed, WORDS_STREAM);
    words = randomText(r, WORDS_LENGTH, ' ');
    names = new String[FIRST_NAMES.length * LAST_NAMES.length];
    int n = 0;
    for (String f : FIRST_NAMES) for (String l : LAST_NAMES) names[n++] = f + " " + l;
    hotUrls = new String[HOT_CHANNELS.length];
    for (int k = 0; k < HOT_CHANNELS.length; k++) {
      r.reset(c.seed, HOT_URL_STREAM - k);
      hotUrls[k] = baseUrl(r);
    }
  }

  private static String randomText(EventRandom random, int length, char special) {
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = special != 0 && random.nextInt(13) == 0 ? special : (char) (97 + random.nextInt(26));
    }
    return new String(chars);
  }

  private static String baseUrl(EventRandom random) {
    StringBuilder s = new StringBuilder("https://www.nexmark.com/");
    for (int p = 0; p < 3; p++) {
      if (p > 0) s.append('/');
      s.append(randomText(random, MIN_STRING_LENGTH + random.nextInt(5 - MIN_STRING_LENGTH), '_'));
    }
    return s.append("/item.htm?query=1").toString();
  }

  /** Event time of event {@code index} (ms). */
  public long timestampOf(long index) {
    return config.baseTime + (long) Math.floor(Math.floor(index * delayUs) / 1000);
  }

  /** Event {@code index} (0-based, the index-th event after firstEventId). */
  public Event event(long index) {
    GeneratorConfig c = config;
    long id = c.firstEventId + index;
    long ts = timestampOf(index);
    random.reset(c.seed, id);
    long rem = id % total;
    Event e = new Event();
    if (rem < c.personProportion) {
      e.kind = Event.PERSON;
      e.person = person(id, ts);
    } else if (rem < c.personProportion + c.auctionProportion) {
      e.kind = Event.AUCTION;
      e.auction = auction(index, id, ts);
    } else {
      e.kind = Event.BID;
      e.bid = bid(id, ts);
    }
    return e;
  }

  public long lastBase0PersonId(long id) {
    long epoch = Math.floorDiv(id, total);
    long offset = Math.min(Math.floorMod(id, total), config.personProportion - 1);
    return epoch * config.personProportion + offset;
  }

  public long lastBase0AuctionId(long id) {
    GeneratorConfig c = config;
    long epoch = Math.floorDiv(id, total);
    long offset = Math.floorMod(id, total);
    if (offset < c.personProportion) {
      epoch--;
      offset = c.auctionProportion - 1;
    } else if (offset >= c.personProportion + c.auctionProportion) {
      offset = c.auctionProportion - 1;
    } else {
      offset -= c.personProportion;
    }
    return epoch * c.auctionProportion + offset;
  }

  private long nextBase0PersonId(long id) {
    long people = lastBase0PersonId(id) + 1;
    long active = Math.min(people, config.numActivePeople);
    return people - active + random.nextLong(active + PERSON_ID_LEAD);
  }

  private long nextBase0AuctionId(long id) {
    long max = lastBase0AuctionId(id);
    long min = Math.max(max - config.numInFlightAuctions, 0);
    return min + random.nextLong(max - min + 1 + AUCTION_ID_LEAD);
  }

  private Person person(long id, long ts) {
    EventRandom r = random;
    Person p = new Person();
    p.name = names[r.nextInt(names.length)];
    String user = string(7);
    p.emailAddress = user + "@" + string(5) + ".com";
    p.creditCard = digits4() + " " + digits4() + " " + digits4() + " " + digits4();
    p.city = US_CITIES[r.nextInt(US_CITIES.length)];
    p.state = US_STATES[r.nextInt(US_STATES.length)];
    long size = 8 + p.name.length() + p.emailAddress.length() + p.creditCard.length() + p.city.length() + p.state.length();
    p.extra = extra(size, config.avgPersonByteSize);
    p.id = lastBase0PersonId(id) + FIRST_PERSON_ID;
    p.dateTime = ts;
    return p;
  }

  private Auction auction(long index, long id, long ts) {
    GeneratorConfig c = config;
    EventRandom r = random;
    Auction a = new Auction();
    a.seller = (r.nextInt(c.hotSellersRatio) > 0
      ? Math.floorDiv(lastBase0PersonId(id), HOT_RATIO) * HOT_RATIO
      : nextBase0PersonId(id)) + FIRST_PERSON_ID;
    a.category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    a.initialBid = price();
    long eventsForAuctions = c.numInFlightAuctions * total / c.auctionProportion;
    long horizonMs = timestampOf(index + eventsForAuctions) - ts;
    a.expires = ts + 1 + r.nextLong(Math.max(horizonMs * 2, 1));
    a.itemName = string(20);
    a.description = string(100);
    a.reserve = a.initialBid + price();
    a.extra = extra(8 + a.itemName.length() + a.description.length() + 40, c.avgAuctionByteSize);
    a.id = lastBase0AuctionId(id) + FIRST_AUCTION_ID;
    a.dateTime = ts;
    return a;
  }

  private Bid bid(long id, long ts) {
    GeneratorConfig c = config;
    EventRandom r = random;
    Bid b = new Bid();
    b.auction = (r.nextInt(c.hotAuctionRatio) > 0
      ? Math.floorDiv(lastBase0AuctionId(id), HOT_RATIO) * HOT_RATIO
      : nextBase0AuctionId(id)) + FIRST_AUCTION_ID;
    b.bidder = (r.nextInt(c.hotBiddersRatio) > 0
      ? Math.floorDiv(lastBase0PersonId(id), HOT_RATIO) * HOT_RATIO + 1
      : nextBase0PersonId(id)) + FIRST_PERSON_ID;
    b.price = price();
    if (r.nextInt(2) > 0) {
      int k = r.nextInt(HOT_CHANNELS.length);
      b.channel = HOT_CHANNELS[k];
      b.url = hotUrls[k];
    } else {
      int k = r.nextInt(CHANNELS);
      b.url = channelUrls[k] != null ? channelUrls[k] : channelUrl(k);
      b.channel = channelNames[k];
    }
    b.extra = extra(32, c.avgBidByteSize);
    b.dateTime = ts;
    return b;
  }

  /** Log-uniform from 100 to 100,000,000 cents (JS Math.round: ties up). */
  private long price() {
    return Math.round(StrictMath.pow(10, random.nextDouble() * 6) * 100);
  }

  private String string(int maxLength) {
    int length = MIN_STRING_LENGTH + random.nextInt(maxLength - MIN_STRING_LENGTH);
    int at = random.nextInt(WORDS_LENGTH - length);
    return words.substring(at, at + length).trim();
  }

  private String digits4() {
    int v = random.nextInt(10_000);
    char[] d = {(char) ('0' + v / 1000), (char) ('0' + v / 100 % 10), (char) ('0' + v / 10 % 10), (char) ('0' + v % 10)};
    return new String(d);
  }

  private String extra(long size, long average) {
    if (size > average) return "";
    long wanted = average - size;
    long delta = Math.round(wanted * 0.2);
    int length = (int) (wanted - delta + (delta == 0 ? 0 : random.nextInt(2 * delta)));
    int at = random.nextInt(LETTERS_LENGTH - length);
    return letters.substring(at, at + length);
  }

  private String channelUrl(int k) {
    EventRandom t = tableRandom;
    t.reset(config.seed, CHANNEL_STREAM - k);
    String url = baseUrl(t);
    if (t.nextInt(10) > 0) url += "&channel_id=" + Math.abs((long) Integer.reverse(k));
    channelUrls[k] = url;
    channelNames[k] = "channel-" + k;
    return url;
  }
}
