import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.data.segment.TextSegment;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.*; import java.io.*; import java.util.*;
public class Emb { public static void main(String[] a) throws Exception {
  var m = new AllMiniLmL6V2QuantizedEmbeddingModel(); var om = new ObjectMapper();
  List<String> lines = Files.readAllLines(Path.of(a[0]));
  long[] t = new long[lines.size()]; int i=0;
  try (PrintWriter w = new PrintWriter(a[1])) {
    for (String l : lines) { JsonNode n = om.readTree(l); String p = n.get("prompt").asText();
      long s=System.nanoTime(); float[] v = m.embed(p).content().vector(); t[i++]=System.nanoTime()-s;
      StringBuilder b = new StringBuilder(); for (float f : v) b.append(f).append(' '); w.println(b.toString().trim()); }
  }
  Arrays.sort(t); System.out.println("p50 ms " + t[t.length/2]/1e6 + " p99 ms " + t[t.length*99/100]/1e6);
}}
