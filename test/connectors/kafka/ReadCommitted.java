// The oracle of the Kafka tests: what a read_committed consumer of the reference client
// (kafka-clients, the jars test/services/kafka.sh runs the broker with) sees in a topic.
// kafkajs 2.2.4 is not used for this: its filterAbortedMessages assumes the broker lists
// aborted transactions by first offset, which it does not, and lets through the first
// batch of an aborted transaction that starts before one listed ahead of it.
//
//   java -cp '<libs>/*' ReadCommitted.java <bootstrap> <topic> <atLeast> <timeoutMs>
//
// Prints each value base64-encoded on a line of its own, prefixed `V `, after reading from
// the beginning of every partition until it has `atLeast` values and nothing new came for
// 1.5 s (or until `timeoutMs`). With a fifth argument `summary` (millions of records, as in
// the benchmarks) it prints only `N <values>` and `D <distinct values>` (by 64-bit FNV-1a).
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

public class ReadCommitted {
  public static void main (String[] args) {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    String topic = args[1];
    long atLeast = Long.parseLong(args[2]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[3]);
    boolean summary = args.length > 4 && args[4].equals("summary");
    Base64.Encoder b64 = Base64.getEncoder();
    StringBuilder out = new StringBuilder();
    long[] hashes = new long[summary ? 1 << 16 : 0];
    long n = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo pi : c.partitionsFor(topic)) tps.add(new TopicPartition(topic, pi.partition()));
      c.assign(tps);
      c.seekToBeginning(tps);
      long lastAt = System.currentTimeMillis();
      while (System.currentTimeMillis() < deadline && (n < atLeast || System.currentTimeMillis() - lastAt < 1_500)) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          n++;
          lastAt = System.currentTimeMillis();
          if (summary) {
            if (n > hashes.length) hashes = Arrays.copyOf(hashes, hashes.length * 2);
            hashes[(int) (n - 1)] = fnv(r.value());
            continue;
          }
          out.append("V ").append(r.value() == null ? "" : b64.encodeToString(r.value())).append('\n');
        }
      }
    }
    if (summary) {
      int count = (int) n;
      Arrays.sort(hashes, 0, count);
      long distinct = 0;
      for (int i = 0; i < count; i++) if (i == 0 || hashes[i] != hashes[i - 1]) distinct++;
      out.append("N ").append(n).append('\n').append("D ").append(distinct).append('\n');
    }
    System.out.print(out);
    System.out.flush();
  }

  static long fnv (byte[] v) {
    long h = 0xcbf29ce484222325L;
    if (v == null) return h;
    for (byte b : v) { h ^= (b & 0xff); h *= 0x100000001b3L; }
    return h;
  }
}
