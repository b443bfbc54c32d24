package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** JSON Schema features Gemini rejects are rewritten, dropped, or refused clearly. */
class SchemasTest {

    private static JsonNode convert(final String schema) throws Exception {
        return Schemas.toGemini(JSON.readTree(schema.replace('\'', '"')), "tools[0]");
    }

    private static JsonNode json(final String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void referencesAreInlinedAndUnsupportedKeywordsDropped() throws Exception {
        assertThat(convert("{'$schema':'x','type':'object','additionalProperties':false,"
                + "'properties':{'a':{'$ref':'#/$defs/A','description':'the a'},"
                + "'b':{'$ref':'#/definitions/B'}},'required':['a','ghost','a'],"
                + "'$defs':{'A':{'type':'integer','format':'int64','exclusiveMinimum':0}},"
                + "'definitions':{'B':{'type':'string','format':'email','minLength':1}}}"))
                .isEqualTo(json("{'type':'object','properties':{'a':{'type':'integer',"
                        + "'format':'int64','description':'the a'},'b':{'type':'string',"
                        + "'minLength':1}},'required':['a']}"));
    }

    @Test
    void unionsBecomeNullableOrAnyOf() throws Exception {
        assertThat(convert("{'type':['string','null'],'description':'d'}"))
                .isEqualTo(json("{'type':'string','description':'d','nullable':true}"));
        assertThat(convert("{'anyOf':[{'type':'integer'},{'type':'null'}]}"))
                .isEqualTo(json("{'type':'integer','nullable':true}"));
        assertThat(convert("{'oneOf':[{'type':'integer'},{'type':'string'}]}"))
                .isEqualTo(json("{'anyOf':[{'type':'integer'},{'type':'string'}]}"));
        assertThat(convert("{'type':['integer','string','null'],'description':'x'}"))
                .isEqualTo(json("{'anyOf':[{'type':'integer','description':'x'},"
                        + "{'type':'string','description':'x'}],'description':'x',"
                        + "'nullable':true}"));
        assertThat(convert("{'type':'string','nullable':true}"))
                .isEqualTo(json("{'type':'string','nullable':true}"));
    }

    @Test
    void enumsAndConstsAreStringsOnly() throws Exception {
        assertThat(convert("{'enum':['a','b',null]}"))
                .isEqualTo(json("{'enum':['a','b'],'type':'string','nullable':true}"));
        assertThat(convert("{'const':'fixed'}"))
                .isEqualTo(json("{'enum':['fixed'],'type':'string'}"));
        assertThat(convert("{'type':'integer','description':'Level.','enum':[1,2,3]}"))
                .isEqualTo(json("{'type':'integer','description':'Level. Allowed values: "
                        + "1, 2, 3.'}"));
        assertThat(convert("{'type':'number','enum':[1.5,'x']}"))
                .isEqualTo(json("{'type':'number','description':'Allowed values: 1.5, "
                        + "\\\"x\\\".'}"));
    }

    @Test
    void allOfIsMergedAndTypesAreInferred() throws Exception {
        assertThat(convert("{'allOf':[{'properties':{'a':{'type':'string'}},'required':['a']},"
                + "{'properties':{'b':{'type':'boolean'}},'required':['b']},"
                + "{'$ref':'#/$defs/C'}],'$defs':{'C':{'description':'c'}}}"))
                .isEqualTo(json("{'type':'object','description':'c','properties':{"
                        + "'a':{'type':'string'},'b':{'type':'boolean'}},"
                        + "'required':['a','b']}"));
        assertThat(convert("{'items':{'type':'string','format':'date-time'}}"))
                .isEqualTo(json("{'items':{'type':'string','format':'date-time'},"
                        + "'type':'array'}"));
        assertThat(convert("{'type':'object','properties':{}}"))
                .isEqualTo(json("{'type':'object'}"));
        assertThat(Schemas.isEmptyObject(convert("{'type':'object','properties':{}}"))).isTrue();
        assertThat(Schemas.isEmptyObject(convert("{}"))).isTrue();
        assertThat(Schemas.isEmptyObject(convert("{'type':'object','properties':{'a':{}}}")))
                .isFalse();
        assertThat(convert("{'type':'array','items':true}"))
                .isEqualTo(json("{'type':'array','items':{}}"));
        assertThat(convert("{'type':'OBJECT','properties':{'n':{'type':'number',"
                + "'format':'double','minimum':0,'maximum':1,'default':0.5,'title':'N'}}}"))
                .isEqualTo(json("{'type':'object','properties':{'n':{'type':'number',"
                        + "'title':'N','minimum':0,'maximum':1,'default':0.5,"
                        + "'format':'double'}}}"));
    }

    @Test
    void whatCannotBeSentIsRefusedClearly() {
        assertThatThrownBy(() -> convert("{'type':'object','properties':{'child':"
                + "{'$ref':'#/$defs/Node'}},'$defs':{'Node':{'type':'object','properties':"
                + "{'next':{'$ref':'#/$defs/Node'}}}}}"))
                .isInstanceOf(UnsupportedRequestException.class)
                .hasMessage("tools[0]: a recursive schema ($ref '#/$defs/Node') cannot be sent "
                        + "to Gemini");
        assertThatThrownBy(() -> convert("{'properties':{'me':{'$ref':'#'}}}"))
                .hasMessageContaining("a recursive schema ($ref '#')");
        assertThatThrownBy(() -> convert("{'$ref':'https://example.com/schema.json'}"))
                .hasMessageContaining("only local #/$defs/... references are resolved");
        assertThatThrownBy(() -> convert("{'$ref':'#/$defs/Missing'}"))
                .hasMessageContaining("no such definition");
        assertThatThrownBy(() -> convert("{'type':'array','items':[{'type':'string'}]}"))
                .hasMessageContaining("tuple 'items'");
        assertThatThrownBy(() -> convert("{'type':'tuple'}"))
                .hasMessageContaining("type 'tuple'");
        assertThatThrownBy(() -> convert("{'type':7}"))
                .hasMessageContaining("neither a string nor an array");
        assertThatThrownBy(() -> convert("{'properties':[]}"))
                .hasMessageContaining("'properties' that is not an object");
        assertThatThrownBy(() -> convert("'text'"))
                .hasMessageContaining("not a JSON object");
        final StringBuilder deep = new StringBuilder();
        for (int i = 0; i <= Schemas.MAX_DEPTH; i++) {
            deep.append("{'items':");
        }
        deep.append("{}").append("}".repeat(Schemas.MAX_DEPTH + 1));
        assertThatThrownBy(() -> convert(deep.toString()))
                .hasMessageContaining("nested deeper than");
    }
}
