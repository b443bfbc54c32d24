package lodestar.provider.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the JSON Schema of a tool's parameters (or of {@code response_format.json_schema}) into
 * the OpenAPI-subset {@code Schema} that Gemini accepts.
 *
 * <ul>
 *   <li>Kept: {@code type, format, title, description, nullable, enum, items, properties,
 *       required, minItems, maxItems, minProperties, maxProperties, minLength, maxLength,
 *       pattern, minimum, maximum, default, example, anyOf, propertyOrdering}.</li>
 *   <li>Rewritten: local {@code $ref} into {@code $defs}/{@code definitions} inlined;
 *       {@code oneOf} to {@code anyOf}; {@code allOf} merged; {@code const} to a one-value
 *       {@code enum}; {@code "type": [T, "null"]} and a {@code {"type": "null"}} variant to
 *       {@code nullable}; several types to {@code anyOf}; an {@code enum} of numbers to the
 *       description (Gemini takes string enums only); {@code required} names that are not
 *       properties removed; empty {@code properties} removed.</li>
 *   <li>Dropped: every other keyword ({@code $schema}, {@code $id}, {@code additionalProperties},
 *       {@code exclusiveMinimum}, {@code examples}, {@code uniqueItems}, ...) and string formats
 *       other than {@code enum} and {@code date-time}, numeric formats other than
 *       {@code int32, int64, float, double}.</li>
 *   <li>Refused (clear {@link UnsupportedRequestException}): recursive {@code $ref}s, remote
 *       {@code $ref}s, tuple {@code items}, schemas deeper than {@value #MAX_DEPTH}.</li>
 * </ul>
 */
final class Schemas {

    /** Deepest schema accepted. */
    static final int MAX_DEPTH = 48;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> COPIED = List.of("title", "description",
            "minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength",
            "pattern", "minimum", "maximum", "default", "example", "propertyOrdering");
    private static final Map<String, Set<String>> FORMATS = Map.of(
            "string", Set.of("enum", "date-time"),
            "integer", Set.of("int32", "int64"),
            "number", Set.of("float", "double"));
    private static final Set<String> TYPES = Set.of("string", "number", "integer", "boolean",
            "array", "object", "null");

    private final JsonNode root;
    private final String where;
    private final Deque<String> refs = new ArrayDeque<>();

    private Schemas(final JsonNode root, final String where) {
        this.root = root;
        this.where = where;
    }

    /**
     * Converts a schema.
     *
     * @param schema the JSON Schema
     * @param where where it is in the request, for messages (e.g.
     *     {@code tools[0].function.parameters})
     * @return the Gemini schema
     * @throws UnsupportedRequestException when it cannot be converted
     */
    static ObjectNode toGemini(final JsonNode schema, final String where) {
        return new Schemas(schema, where).convert(schema, 0);
    }

    /**
     * Whether a converted object schema describes no parameter at all (Gemini refuses an
     * {@code OBJECT} without properties as function parameters: leave them out instead).
     *
     * @param schema a converted schema
     * @return {@code true} for an object schema without properties, or an empty schema
     */
    static boolean isEmptyObject(final JsonNode schema) {
        return schema.isEmpty() || "object".equals(schema.path("type").asText())
                && !schema.has("properties") && !schema.has("anyOf");
    }

    private UnsupportedRequestException fail(final String problem) {
        return new UnsupportedRequestException(where + ": " + problem
                + " cannot be sent to Gemini");
    }

    private ObjectNode convert(final JsonNode schema, final int depth) {
        if (depth > MAX_DEPTH) {
            throw fail("a schema nested deeper than " + MAX_DEPTH + " levels");
        }
        if (schema == null || schema.isMissingNode() || schema.isNull()
                || schema.isBoolean() && schema.asBoolean()) {
            return NODES.objectNode();
        }
        if (!schema.isObject()) {
            throw fail("a schema that is not a JSON object (" + schema.getNodeType() + ")");
        }
        if (schema.has("$ref")) {
            return reference(schema, depth);
        }
        final ObjectNode source = merged(schema);
        final ObjectNode out = NODES.objectNode();
        final List<String> types = types(source.get("type"));
        boolean nullable = source.path("nullable").asBoolean(false) || types.remove("null");
        if (types.size() == 1) {
            out.put("type", types.get(0));
        } else if (types.size() > 1) {
            final ObjectNode copy = source.deepCopy();
            copy.remove("type");
            copy.remove("nullable");
            final ArrayNode variants = out.putArray("anyOf");
            for (final String type : types) {
                variants.add(convert(copy.deepCopy().put("type", type), depth + 1));
            }
            if (source.has("description")) {
                out.set("description", source.get("description"));
            }
            return nullable ? out.put("nullable", true) : out;
        }
        for (final String key : COPIED) {
            if (source.has(key) && !source.get(key).isNull()) {
                out.set(key, source.get(key));
            }
        }
        format(source, out);
        nullable |= enumeration(source, out);
        if (source.has("properties")) {
            properties(source, out, depth);
        }
        if (source.has("items")) {
            if (source.get("items").isArray()) {
                throw fail("tuple 'items' (an array of schemas)");
            }
            out.set("items", convert(source.get("items"), depth + 1));
            if (!out.has("type")) {
                out.put("type", "array");
            }
        }
        final JsonNode variants = source.has("anyOf") ? source.get("anyOf")
                : source.get("oneOf");
        if (variants != null && variants.isArray()) {
            nullable |= alternatives(variants, out, depth);
        }
        if (nullable) {
            out.put("nullable", true);
        }
        return out;
    }

    private ObjectNode reference(final JsonNode schema, final int depth) {
        final String ref = schema.get("$ref").asText("");
        final String name;
        if (ref.startsWith("#/$defs/")) {
            name = ref.substring("#/$defs/".length());
        } else if (ref.startsWith("#/definitions/")) {
            name = ref.substring("#/definitions/".length());
        } else if (ref.equals("#")) {
            throw fail("a recursive schema ($ref '#')");
        } else {
            throw fail("$ref '" + ref + "' (only local #/$defs/... references are resolved)");
        }
        final JsonNode target = root.path(ref.startsWith("#/$defs/") ? "$defs" : "definitions")
                .get(name);
        if (target == null) {
            throw fail("$ref '" + ref + "' (no such definition)");
        }
        if (refs.contains(ref)) {
            throw fail("a recursive schema ($ref '" + ref + "')");
        }
        refs.push(ref);
        try {
            final ObjectNode resolved = convert(target, depth + 1);
            // keywords beside $ref (description, nullable, ...) refine the target
            final ObjectNode sibling = ((ObjectNode) schema).deepCopy();
            sibling.remove("$ref");
            if (!sibling.isEmpty()) {
                final ObjectNode refined = convert(sibling, depth + 1);
                refined.fields().forEachRemaining(e -> resolved.set(e.getKey(), e.getValue()));
            }
            return resolved;
        } finally {
            refs.pop();
        }
    }

    /** The schema with its {@code allOf} members merged in (properties and required joined). */
    private ObjectNode merged(final JsonNode schema) {
        final ObjectNode source = ((ObjectNode) schema).deepCopy();
        final JsonNode all = source.remove("allOf");
        if (all == null || !all.isArray()) {
            return source;
        }
        for (final JsonNode member : all) {
            JsonNode part = member;
            if (part.has("$ref")) {
                part = reference(part, 0);
            }
            if (!part.isObject()) {
                continue;
            }
            final Iterator<Map.Entry<String, JsonNode>> fields = part.fields();
            while (fields.hasNext()) {
                final Map.Entry<String, JsonNode> field = fields.next();
                final JsonNode mine = source.get(field.getKey());
                if (field.getKey().equals("properties") && mine != null && mine.isObject()
                        && field.getValue().isObject()) {
                    ((ObjectNode) mine).setAll((ObjectNode) field.getValue());
                } else if (field.getKey().equals("required") && mine != null && mine.isArray()
                        && field.getValue().isArray()) {
                    ((ArrayNode) mine).addAll((ArrayNode) field.getValue());
                } else if (mine == null) {
                    source.set(field.getKey(), field.getValue());
                }
            }
        }
        return merged(source);
    }

    private List<String> types(final JsonNode type) {
        final List<String> types = new ArrayList<>();
        if (type == null || type.isNull()) {
            return types;
        }
        if (type.isTextual()) {
            types.add(checked(type.asText()));
        } else if (type.isArray()) {
            for (final JsonNode one : type) {
                final String name = checked(one.asText());
                if (!types.contains(name)) {
                    types.add(name);
                }
            }
        } else {
            throw fail("a 'type' that is neither a string nor an array");
        }
        return types;
    }

    private String checked(final String type) {
        final String lower = type.toLowerCase(java.util.Locale.ROOT);
        if (!TYPES.contains(lower)) {
            throw fail("type '" + type + "'");
        }
        return lower;
    }

    private static void format(final ObjectNode source, final ObjectNode out) {
        final String format = source.path("format").asText("");
        final Set<String> allowed = FORMATS.get(out.path("type").asText(""));
        if (!format.isEmpty() && allowed != null && allowed.contains(format)) {
            out.put("format", format);
        }
    }

    /** Copies {@code enum} or {@code const}; answers whether {@code null} was a value. */
    private static boolean enumeration(final ObjectNode source, final ObjectNode out) {
        final JsonNode values = source.has("enum") ? source.get("enum")
                : source.has("const") ? NODES.arrayNode().add(source.get("const")) : null;
        if (values == null || !values.isArray()) {
            return false;
        }
        boolean nullable = false;
        final ArrayNode strings = NODES.arrayNode();
        final List<String> others = new ArrayList<>();
        for (final JsonNode value : values) {
            if (value.isNull()) {
                nullable = true;
            } else if (value.isTextual()) {
                strings.add(value);
            } else {
                others.add(value.toString());
            }
        }
        if (others.isEmpty() && !strings.isEmpty()) {
            out.set("enum", strings);
            if (!out.has("type")) {
                out.put("type", "string");
            }
        } else if (!others.isEmpty()) {
            final List<String> all = new ArrayList<>(others);
            strings.forEach(s -> all.add(s.toString()));
            final String text = "Allowed values: " + String.join(", ", all) + ".";
            final String description = out.path("description").asText("");
            out.put("description", description.isEmpty() ? text : description + " " + text);
        }
        return nullable;
    }

    private void properties(final ObjectNode source, final ObjectNode out, final int depth) {
        final JsonNode properties = source.get("properties");
        if (!properties.isObject()) {
            throw fail("'properties' that is not an object");
        }
        final ObjectNode converted = NODES.objectNode();
        properties.fields().forEachRemaining(e -> converted.set(e.getKey(),
                convert(e.getValue(), depth + 1)));
        if (!out.has("type")) {
            out.put("type", "object");
        }
        if (converted.isEmpty()) {
            return;
        }
        out.set("properties", converted);
        final ArrayNode required = NODES.arrayNode();
        for (final JsonNode name : source.path("required")) {
            if (name.isTextual() && converted.has(name.asText())
                    && !contains(required, name.asText())) {
                required.add(name);
            }
        }
        if (!required.isEmpty()) {
            out.set("required", required);
        }
    }

    private static boolean contains(final ArrayNode array, final String text) {
        for (final JsonNode node : array) {
            if (node.asText().equals(text)) {
                return true;
            }
        }
        return false;
    }

    /** Converts {@code anyOf}/{@code oneOf}; answers whether a {@code null} variant was left. */
    private boolean alternatives(final JsonNode variants, final ObjectNode out, final int depth) {
        boolean nullable = false;
        final ArrayNode kept = NODES.arrayNode();
        for (final JsonNode variant : variants) {
            if (variant.isObject() && "null".equals(variant.path("type").asText())
                    && variant.size() == 1) {
                nullable = true;
            } else {
                kept.add(convert(variant, depth + 1));
            }
        }
        if (kept.size() == 1 && !out.has("type")) {
            // Optional[T]: one variant and null, inlined
            final ObjectNode only = (ObjectNode) kept.get(0);
            only.fields().forEachRemaining(e -> {
                if (!out.has(e.getKey())) {
                    out.set(e.getKey(), e.getValue());
                }
            });
        } else if (!kept.isEmpty()) {
            out.set("anyOf", kept);
        }
        return nullable;
    }
}
