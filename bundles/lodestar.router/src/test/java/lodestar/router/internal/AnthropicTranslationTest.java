package lodestar.router.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import org.junit.jupiter.api.Test;

/** Anthropic Messages in and out of the canonical form, on documentation-shaped examples. */
class AnthropicTranslationTest {

    private final ObjectMapper mapper = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private JsonNode json(final String text) throws Exception {
        return mapper.readTree(text.replace('\'', '"'));
    }

    @Test
    void aToolConversationWithSystemImagesAndResultsBecomesCanonical() throws Exception {
        final JsonNode in = json("{'model':'claude-sonnet-4-5','max_tokens':1024,"
                + "'system':[{'type':'text','text':'You are a coder.',"
                + "'cache_control':{'type':'ephemeral'}}],"
                + "'stop_sequences':['END'],'temperature':0.2,'stream':true,"
                + "'metadata':{'user_id':'u1'},"
                + "'tools':[{'name':'read_file','description':'Read a file',"
                + "'input_schema':{'type':'object','properties':{'path':{'type':'string'}}}}],"
                + "'tool_choice':{'type':'any','disable_parallel_tool_use':true},"
                + "'messages':[{'role':'user','content':[{'type':'text','text':'Look:'},"
                + "{'type':'image','source':{'type':'base64','media_type':'image/png',"
                + "'data':'iVBOR'}}]},"
                + "{'role':'assistant','content':[{'type':'thinking','thinking':'hm'},"
                + "{'type':'text','text':'Reading.'},{'type':'tool_use','id':'toolu_1',"
                + "'name':'read_file','input':{'path':'a.java'}}]},"
                + "{'role':'user','content':[{'type':'tool_result','tool_use_id':'toolu_1',"
                + "'content':[{'type':'text','text':'class A {}'}]},"
                + "{'type':'text','text':'Now fix it.'}]}]}");

        final JsonNode out = AnthropicIn.toCanonical(in, mapper);

        assertThat(out.path("messages").get(0).toString()).isEqualTo(
                "{\"role\":\"system\",\"content\":\"You are a coder.\"}");
        final JsonNode user = out.path("messages").get(1);
        assertThat(user.path("content").get(1).path("image_url").path("url").asText())
                .isEqualTo("data:image/png;base64,iVBOR");
        final JsonNode assistant = out.path("messages").get(2);
        assertThat(assistant.path("content").asText()).isEqualTo("Reading.");
        assertThat(assistant.path("tool_calls").get(0).path("function").path("arguments")
                .asText()).isEqualTo("{\"path\":\"a.java\"}");
        assertThat(out.path("messages").get(3).toString()).isEqualTo("{\"role\":\"tool\","
                + "\"tool_call_id\":\"toolu_1\",\"content\":\"class A {}\"}");
        assertThat(out.path("messages").get(4).path("content").asText())
                .isEqualTo("Now fix it.");
        assertThat(out.path("tools").get(0).path("function").path("parameters")
                .path("type").asText()).isEqualTo("object");
        assertThat(out.path("tool_choice").asText()).isEqualTo("required");
        assertThat(out.path("parallel_tool_calls").asBoolean(true)).isFalse();
        assertThat(out.path("stop").get(0).asText()).isEqualTo("END");
        assertThat(out.path("user").asText()).isEqualTo("u1");
        final ChatRequest chat = mapper.treeToValue(out, ChatRequest.class);
        assertThat(chat.isStreaming()).isTrue();
        assertThat(chat.hasImages()).isTrue();
        assertThat(chat.hasTools()).isTrue();
        assertThat(chat.maxTokens()).isEqualTo(1024);
    }

    @Test
    void whatCannotBeTranslatedIsRefusedClearly() throws Exception {
        assertThatThrownBy(() -> AnthropicIn.toCanonical(json("{'model':'m','messages':[]}"),
                mapper)).hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> AnthropicIn.toCanonical(json("{'model':'m','max_tokens':1,"
                + "'messages':[],'tools':[{'type':'web_search_20250305','name':'web_search'}]}"),
                mapper)).hasMessageContaining("can only run on an Anthropic model");
        assertThatThrownBy(() -> AnthropicIn.toCanonical(json("{'model':'m','max_tokens':1,"
                + "'messages':[{'role':'user','content':[{'type':'document'}]}]}"), mapper))
                .hasMessageContaining("unsupported content block 'document'");
        assertThatThrownBy(() -> AnthropicIn.toCanonical(json("{'model':'m','max_tokens':1,"
                + "'messages':[{'role':'tool','content':'x'}]}"), mapper))
                .hasMessageContaining("must be 'user', 'assistant' or 'system'");
        // Claude Code sends system turns inside messages
        assertThat(AnthropicIn.toCanonical(json("{'model':'m','max_tokens':1,'messages':"
                + "[{'role':'user','content':'a'},{'role':'system','content':[{'type':'text',"
                + "'text':'mid'}]}]}"), mapper).path("messages").get(1).toString())
                .isEqualTo("{\"role\":\"system\",\"content\":\"mid\"}");
        assertThat(AnthropicIn.toCanonical(json("{'model':'m','messages':[{'role':'user',"
                + "'content':'hi'}],'tool_choice':{'type':'tool','name':'f'}}"), mapper, false)
                .path("tool_choice").path("function").path("name").asText()).isEqualTo("f");
    }

    @Test
    void aCanonicalStreamBecomesAnthropicEventsInOrder() throws Exception {
        final AnthropicDialect dialect = new AnthropicDialect("1234-5678", "claude-x");
        final List<String> events = new ArrayList<>();
        final String[] chunks = {
            "{'id':'c','object':'chat.completion.chunk','created':1,'model':'m','choices':"
                + "[{'index':0,'delta':{'role':'assistant','content':''},'finish_reason':null}]}",
            "{'id':'c','object':'chat.completion.chunk','created':1,'model':'m','choices':"
                + "[{'index':0,'delta':{'content':'Let me look.'},'finish_reason':null}]}",
            "{'id':'c','object':'chat.completion.chunk','created':1,'model':'m','choices':"
                + "[{'index':0,'delta':{'tool_calls':[{'index':0,'id':'call_1','type':"
                + "'function','function':{'name':'read_file','arguments':''}}]},"
                + "'finish_reason':null}]}",
            "{'id':'c','object':'chat.completion.chunk','created':1,'model':'m','choices':"
                + "[{'index':0,'delta':{'tool_calls':[{'index':0,'function':{'arguments':"
                + "'{\\\\'path\\\\':'}}]},'finish_reason':null}]}",
            "{'id':'c','object':'chat.completion.chunk','created':1,'model':'m','choices':"
                + "[{'index':0,'delta':{},'finish_reason':'tool_calls'}]}",
            "{'id':'c','object':'chat.completion.chunk','created':1,'model':'m','choices':[],"
                + "'usage':{'prompt_tokens':100,'completion_tokens':20,'total_tokens':120,"
                + "'prompt_tokens_details':{'cached_tokens':60}}}"};
        Usage usage = null;
        for (final String chunk : chunks) {
            final ChatChunk parsed = mapper.readValue(chunk.replace('\'', '"')
                    .replace("\\\\\"", "\\\""), ChatChunk.class);
            if (parsed.usage() != null) {
                usage = parsed.usage();
            }
            events.add(new String(dialect.chunk(parsed, mapper), StandardCharsets.UTF_8));
        }
        events.add(new String(dialect.end(usage, mapper), StandardCharsets.UTF_8));
        final String stream = String.join("", events);
        final List<String> names = new ArrayList<>();
        for (final String line : stream.split("\n")) {
            if (line.startsWith("event: ")) {
                names.add(line.substring(7));
            }
        }
        assertThat(names).containsExactly("message_start", "content_block_start",
                "content_block_delta", "content_block_stop", "content_block_start",
                "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        assertThat(stream).contains("\"id\":\"msg_12345678\"")
                .contains("{\"type\":\"text_delta\",\"text\":\"Let me look.\"}")
                .contains("\"content_block\":{\"type\":\"tool_use\",\"id\":\"call_1\","
                        + "\"name\":\"read_file\",\"input\":{}}")
                .contains("\"partial_json\":\"{\\\"path\\\":\"")
                .contains("\"stop_reason\":\"tool_use\"")
                .contains("\"input_tokens\":40,\"cache_creation_input_tokens\":0,"
                        + "\"cache_read_input_tokens\":60,\"output_tokens\":20");
    }

    @Test
    void aCanonicalAnswerBecomesAMessageAndErrorsTakeAnthropicsShape() throws Exception {
        final ChatResponse answer = mapper.readValue(("{'id':'x','object':'chat.completion',"
                + "'created':1,'model':'m','choices':[{'index':0,'message':{'role':'assistant',"
                + "'content':'Done.','tool_calls':[{'id':'call_9','type':'function',"
                + "'function':{'name':'edit','arguments':'{\\\"line\\\":3}'}}]},"
                + "'finish_reason':'length'}],'usage':{'prompt_tokens':10,"
                + "'completion_tokens':5,'total_tokens':15}}").replace('\'', '"'),
                ChatResponse.class);
        final JsonNode message = mapper.readTree(new AnthropicDialect("r-1", "claude-x")
                .response(answer, mapper));
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("content").get(0).path("text").asText()).isEqualTo("Done.");
        assertThat(message.path("content").get(1).path("input").path("line").asInt())
                .isEqualTo(3);
        assertThat(message.path("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(message.path("usage").path("input_tokens").asInt()).isEqualTo(10);

        assertThat(AnthropicDialect.json(mapper, new ApiError(529, "busy", "x", null, null, 0))
                .toString()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":"
                        + "\"overloaded_error\",\"message\":\"busy\"}}");
        assertThat(new String(new AnthropicDialect("r", "m").streamError(new ApiError(502,
                "cut", "x", null, null, 0), mapper), StandardCharsets.UTF_8))
                .startsWith("event: error\ndata: {\"type\":\"error\"");
        assertThat(AnthropicDialect.stopReason("stop")).isEqualTo("end_turn");
        assertThat(AnthropicDialect.stopReason("content_filter")).isEqualTo("refusal");
        assertThat(AnthropicDialect.stopReason(null)).isNull();
        final String[] expected = {"invalid_request_error", "authentication_error",
            "permission_error", "not_found_error", "request_too_large", "rate_limit_error",
            "api_error", "overloaded_error"};
        final int[] statuses = {400, 401, 403, 404, 413, 429, 500, 503};
        for (int i = 0; i < statuses.length; i++) {
            assertThat(AnthropicDialect.errorType(new ApiError(statuses[i], "m", "t", null,
                    null, 0))).isEqualTo(expected[i]);
        }
    }
}
