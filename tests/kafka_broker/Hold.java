// Holds what a restarting broker needs, for a few seconds, the way a process
// that is slow to go away would (tests/kafka_broker/restart_robust.sh):
//   java Hold.java lock FILE SECONDS   a POSIX (fcntl) lock on FILE, like Kafka's log-dir .lock
//   java Hold.java port PORT SECONDS   a listening socket on 127.0.0.1:PORT
// Prints "held" once it holds it, then lets go after SECONDS.
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

public class Hold {
  public static void main(String[] args) throws Exception {
    long millis = (long) (Double.parseDouble(args[2]) * 1000);
    if (args[0].equals("lock")) {
      try (RandomAccessFile f = new RandomAccessFile(args[1], "rw");
           FileChannel ch = f.getChannel();
           FileLock l = ch.lock()) {
        held();
        Thread.sleep(millis);
      }
    } else if (args[0].equals("port")) {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Integer.parseInt(args[1])));
        held();
        Thread.sleep(millis);
      }
    } else {
      throw new IllegalArgumentException("usage: Hold lock FILE SECONDS | Hold port PORT SECONDS");
    }
  }

  private static void held() {
    System.out.println("held");
    System.out.flush();
  }
}
