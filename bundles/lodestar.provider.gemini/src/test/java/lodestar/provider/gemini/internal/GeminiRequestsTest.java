package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.JSON;
import static lodestar.provider.gemini.internal.Fixtures.chatRequest;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Canonical requests the golden files do not cover: edge cases and clear refusals. */
class GeminiRequestsTest {

    private static JsonNode translate(final String request) throws Exception {
        return GeminiRequests.translate(chatRequest(JSON.readTree(request.replace('\'', '"'))));
    }

    private static String refusal(final String request) {
        try {
            translate(request);
        } catch (final UnsupportedRequestException e) {
            return e.getMessage();
        } catch (final Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("translated: " + request);
    }

    private static JsonNode json(final String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void toolChoiceVariants() throws Exception {
        final String tools = "'tools':[{'type':'function','function':{'name':'f'}}]";
        assertThat(translate("{'messages':[{'role':'user','content':'x'}]," + tools
                + ",'tool_choice':'auto'}").path("toolConfig"))
                .isEqualTo(json("{'functionCallingConfig':{'mode':'AUTO'}}"));
        assertThat(translate("{'messages':[{'role':'user','content':'x'}]," + tools
                + ",'tool_choice':'none'}").at("/toolConfig/functionCallingConfig/mode")
                .asText()).isEqualTo("NONE");
        assertThat(translate("{'messages':[{'role':'user','content':'x'}]," + tools
                + ",'tool_choice':{'type':'function','function':{'name':'f'}}}")
                .path("toolConfig")).isEqualTo(json("{'functionCallingConfig':{'mode':'ANY',"
                        + "'allowedFunctionNames':['f']}}"));
        final JsonNode plain = translate("{'messages':[{'role':'user','content':'x'}],"
                + tools + "}");
        assertThat(plain.has("toolConfig")).isFalse();
        assertThat(plain.at("/tools/0/functionDeclarations/0")).isEqualTo(json("{'name':'f'}"));
        assertThat(refusal("{'messages':[{'role':'user','content':'x'}]," + tools
                + ",'tool_choice':'sometimes'}")).isEqualTo("tool_choice 'sometimes' is not "
                        + "supported by the gemini dialect");
        assertThat(refusal("{'messages':[{'role':'user','content':'x'}]," + tools
                + ",'tool_choice':{'type':'function'}}")).startsWith("tool_choice must be");
        assertThat(refusal("{'messages':[{'role':'user','content':'x'}],"
                + "'tools':[{'type':'web_search'}]}")).isEqualTo("tools[0]: tool type "
                        + "'web_search' is not supported by the gemini dialect (function tools "
                        + "only)");
        assertThat(refusal("{'messages':[{'role':'user','content':'x'}],"
                + "'tools':[{'type':'function'}]}")).isEqualTo("tools[0]: a function tool "
                        + "needs a name");
    }

    @Test
    void generationSettingsVariants() throws Exception {
        final JsonNode config = translate("{'messages':[{'role':'user','content':'x'}],"
                + "'max_tokens':64,'stop':'END','n':2,'response_format':{'type':'text'}}")
                .path("generationConfig");
        assertThat(config).isEqualTo(json("{'maxOutputTokens':64,'stopSequences':['END'],"
                + "'candidateCount':2}"));
        assertThat(translate("{'messages':[{'role':'user','content':'x'}],'stop':[],'n':1}")
                .has("generationConfig")).isFalse();
        assertThat(refusal("{'messages':[{'role':'user','content':'x'}],'seed':9999999999}"))
                .isEqualTo("seed must fit in 32 bits for the gemini dialect");
        assertThat(refusal("{'messages':[{'role':'user','content':'x'}],'top_p':'high'}"))
                .isEqualTo("top_p must be a number");
        assertThat(refusal("{'messages':[{'role':'user','content':'x'}],"
                + "'response_format':{'type':'grammar'}}")).isEqualTo("response_format type "
                        + "'grammar' is not supported by the gemini dialect");
    }

    @Test
    void contentVariants() throws Exception {
        final JsonNode body = translate("{'messages':["
                + "{'role':'system','content':''},"
                + "{'role':'user','content':[{'type':'text','text':''},{'type':'text','text':'a'},"
                + "{'type':'image_url','image_url':'data:;base64,AAAA'},"
                + "{'type':'file','file':{'file_data':'data:application/pdf;base64,JVBE',"
                + "'filename':'a.pdf'}}]},"
                + "{'role':'user','content':null,'name':'bob'},"
                + "{'role':'assistant','content':[{'type':'text','text':'b'},"
                + "{'type':'refusal','refusal':'no'},{'type':'text','text':''}]},"
                + "{'role':'assistant','content':''},"
                + "{'role':'assistant','content':null,'tool_calls':[{'id':'c','type':'function',"
                + "'function':{'name':'f','arguments':''}}]},"
                + "{'role':'function','name':'f','content':[{'type':'text','text':'42'}]}]}");
        assertThat(body.has("systemInstruction")).isFalse();
        assertThat(body.get("contents")).isEqualTo(json("[{'role':'user','parts':["
                + "{'text':'a'},{'inlineData':{'mimeType':'application/octet-stream',"
                + "'data':'AAAA'}},{'inlineData':{'mimeType':'application/pdf','data':'JVBE'}}]},"
                + "{'role':'model','parts':[{'text':'b'},{'text':'no'},"
                + "{'functionCall':{'name':'f','args':{}}}]},"
                + "{'role':'user','parts':[{'functionResponse':{'name':'f',"
                + "'response':{'output':'42'}}}]}]"));
        // a tool message found by name when its call id is unknown; JSON content objects kept;
        // consecutive user turns merged into one
        final JsonNode byName = translate("{'messages':[{'role':'user','content':'x'},"
                + "{'role':'tool','tool_call_id':'gone','name':'g','content':{'a':1}}]}");
        assertThat(byName.get("contents")).isEqualTo(json("[{'role':'user','parts':["
                + "{'text':'x'},{'functionResponse':{'name':'g','response':{'a':1}}}]}]"));
    }

    @Test
    void whatCannotBeSaidIsRefusedClearly() {
        final String user = "{'role':'user','content':'x'}";
        assertThat(refusal("{'messages':[]}")).startsWith("the request has no user or "
                + "assistant message");
        assertThat(refusal("{'messages':[{'role':'system','content':'only'}]}"))
                .startsWith("the request has no user or assistant message");
        assertThat(refusal("{'messages':[{'role':'critic','content':'x'}]}"))
                .isEqualTo("messages[0]: role 'critic' is not supported by the gemini dialect");
        assertThat(refusal("{'messages':[{'role':'user','content':[{'type':'image_url',"
                + "'image_url':{'url':'https://example.com/cat.png'}}]}]}"))
                .isEqualTo("messages[0].content[0]: image URLs are not supported by the gemini "
                        + "dialect; send the image inline as a data: URL "
                        + "(data:image/png;base64,...)");
        assertThat(refusal("{'messages':[{'role':'user','content':[{'type':'image_url',"
                + "'image_url':{'url':'cat.png'}}]}]}")).contains("expected a data: URL");
        assertThat(refusal("{'messages':[{'role':'user','content':[{'type':'image_url',"
                + "'image_url':{'url':'data:image/png,rawbytes'}}]}]}"))
                .contains("only base64 data: URLs are supported");
        assertThat(refusal("{'messages':[{'role':'user','content':[{'type':'file',"
                + "'file':{'file_id':'file-1'}}]}]}")).contains("file_id is not supported");
        assertThat(refusal("{'messages':[{'role':'user','content':[{'type':'video'}]}]}"))
                .isEqualTo("messages[0].content[0]: content part type 'video' is not supported "
                        + "by the gemini dialect");
        assertThat(refusal("{'messages':[{'role':'user','content':{'x':1}}]}"))
                .contains("content must be a string or an array of parts");
        assertThat(refusal("{'messages':[{'role':'system','content':{'x':1}}," + user + "]}"))
                .contains("content must be a string or an array of parts");
        assertThat(refusal("{'messages':[{'role':'system','content':[{'type':'image_url'}]},"
                + user + "]}")).contains("content part 'image_url' is not allowed here");
        assertThat(refusal("{'messages':[" + user + ",{'role':'assistant','content':"
                + "[{'type':'audio'}]}]}")).contains("assistant content part 'audio'");
        assertThat(refusal("{'messages':[" + user + ",{'role':'assistant','tool_calls':"
                + "[{'id':'c','function':{'arguments':'{}'}}]}]}"))
                .isEqualTo("messages[1].tool_calls[0]: a tool call needs a function name");
        assertThat(refusal("{'messages':[" + user + ",{'role':'assistant','tool_calls':"
                + "[{'id':'c','function':{'name':'f','arguments':'{oops'}}]}]}"))
                .isEqualTo("messages[1].tool_calls[0]: arguments are not valid JSON");
        assertThat(refusal("{'messages':[" + user + ",{'role':'assistant','tool_calls':"
                + "[{'id':'c','function':{'name':'f','arguments':'[1]'}}]}]}"))
                .isEqualTo("messages[1].tool_calls[0]: arguments must be a JSON object");
        assertThat(refusal("{'messages':[" + user + ",{'role':'tool','tool_call_id':'nope',"
                + "'content':'r'}]}")).isEqualTo("messages[1]: tool message answers call id "
                        + "'nope', which no earlier assistant message made");
    }
}
