package lodestar.router.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import lodestar.api.chat.ChatResponse;
import org.junit.jupiter.api.Test;

/** OpenAI Responses in and out of the canonical form. */
class ResponsesTranslationTest {

    private final ObjectMapper mapper = new ObjectMapper();

    private JsonNode json(final String text) throws Exception {
        return mapper.readTree(text.replace('\'', '"'));
    }

    @Test
    void itemsBecomeCanonicalMessages() throws Exception {
        final JsonNode out = ResponsesIn.toCanonical(json("{'model':'m','instructions':'sys',"
                + "'max_output_tokens':50,'temperature':0,'text':{'format':{'type':'json_schema',"
                + "'name':'s','schema':{'type':'object'},'strict':true}},"
                + "'tool_choice':{'type':'function','name':'f'},"
                + "'input':[{'type':'message','role':'developer','content':'rules'},"
                + "{'role':'user','content':[{'type':'input_text','text':'see '},"
                + "{'type':'input_image','image_url':'data:image/png;base64,AA'}]},"
                + "{'type':'reasoning','summary':[]},"
                + "{'type':'function_call','call_id':'c1','name':'f','arguments':'{}'},"
                + "{'type':'function_call','call_id':'c2','name':'g','arguments':'{}'},"
                + "{'type':'function_call_output','call_id':'c1','output':'ok'},"
                + "{'role':'assistant','content':[{'type':'output_text','text':'done'}]}]}"),
                mapper);
        final JsonNode messages = out.path("messages");
        assertThat(messages.get(0).path("content").asText()).isEqualTo("sys");
        assertThat(messages.get(1).path("role").asText()).isEqualTo("system");
        assertThat(messages.get(2).path("content").get(1).path("image_url").path("url")
                .asText()).startsWith("data:image/png");
        assertThat(messages.get(3).path("tool_calls")).hasSize(2);
        assertThat(messages.get(4).path("tool_call_id").asText()).isEqualTo("c1");
        assertThat(messages.get(5).path("content").asText()).isEqualTo("done");
        assertThat(out.path("max_completion_tokens").asInt()).isEqualTo(50);
        assertThat(out.path("response_format").path("json_schema").path("strict").asBoolean())
                .isTrue();
        assertThat(out.path("tool_choice").path("function").path("name").asText())
                .isEqualTo("f");
        // Codex CLI: function tools grouped in a namespace, and OpenAI's built-in web search
        final java.util.List<String> ignored = new java.util.ArrayList<>();
        final JsonNode codex = ResponsesIn.toCanonical(json("{'model':'m','input':'x',"
                + "'tools':[{'type':'function','name':'exec_command','parameters':{}},"
                + "{'type':'namespace','name':'agents','tools':[{'type':'function','name':"
                + "'close_agent','parameters':{}}]},{'type':'web_search'}]}"), mapper, ignored);
        assertThat(codex.path("tools")).hasSize(2);
        assertThat(codex.path("tools").get(1).path("function").path("name").asText())
                .isEqualTo("close_agent");
        assertThat(ignored).containsExactly("web_search");
        assertThatThrownBy(() -> ResponsesIn.toCanonical(json("{'model':'m','input':'x',"
                + "'tool_choice':{'type':'web_search'}}"), mapper))
                .hasMessageContaining("built-in tool 'web_search'");
        assertThatThrownBy(() -> ResponsesIn.toCanonical(json("{'model':'m'}"), mapper))
                .hasMessageContaining("'input' is required");
        assertThatThrownBy(() -> ResponsesIn.toCanonical(json("{'model':'m','input':[{'type':"
                + "'file_search_call'}]}"), mapper)).hasMessageContaining("unsupported input");
    }

    @Test
    void aCompleteAnswerAndAFailedStreamTakeTheResponsesShape() throws Exception {
        final ChatResponse answer = mapper.readValue(("{'id':'x','object':'chat.completion',"
                + "'created':1,'model':'m','choices':[{'index':0,'message':{'role':'assistant',"
                + "'content':'Hi','tool_calls':[{'id':'call_1','type':'function','function':"
                + "{'name':'f','arguments':'{}'}}]},'finish_reason':'length'}],'usage':"
                + "{'prompt_tokens':7,'completion_tokens':3,'total_tokens':10,"
                + "'prompt_tokens_details':{'cached_tokens':2}}}").replace('\'', '"'),
                ChatResponse.class);
        final JsonNode response = mapper.readTree(new ResponsesDialect("a-b", "m")
                .response(answer, mapper));
        assertThat(response.path("id").asText()).isEqualTo("resp_ab");
        assertThat(response.path("status").asText()).isEqualTo("incomplete");
        assertThat(response.path("incomplete_details").path("reason").asText())
                .isEqualTo("max_output_tokens");
        assertThat(response.path("output").get(1).path("call_id").asText())
                .isEqualTo("call_1");
        assertThat(response.path("usage").path("input_tokens_details").path("cached_tokens")
                .asInt()).isEqualTo(2);
        final String failed = new String(new ResponsesDialect("a", "m").streamError(
                new ApiError(502, "cut", "upstream_error", null, "stream_interrupted", 0),
                mapper), StandardCharsets.UTF_8);
        assertThat(failed).startsWith("event: response.failed\n")
                .contains("\"code\":\"stream_interrupted\"");
        assertThat(new String(new ResponsesDialect("a", "m").end(null, mapper),
                StandardCharsets.UTF_8)).contains("response.completed");
    }
}
