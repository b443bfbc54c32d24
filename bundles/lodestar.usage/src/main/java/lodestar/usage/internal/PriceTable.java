package lodestar.usage.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable price table: prices by model ({@code price.<model>}) and catch-all prices by
 * provider ({@code provider.<id>}), with a content hash that identifies the version.
 *
 * @param models prices by model name
 * @param providers prices for every model of a provider
 * @param invalid keys that were skipped, with the reason
 * @param hash SHA-256 of the canonical entries (hex)
 */
record PriceTable(Map<String, Price> models, Map<String, Price> providers,
        Map<String, String> invalid, String hash) {

    /** The key prefix of a model's price. */
    static final String MODEL_PREFIX = "price.";
    /** The key prefix of a provider's catch-all price. */
    static final String PROVIDER_PREFIX = "provider.";
    /** No prices at all. */
    static final PriceTable EMPTY = of(Map.of(), Map.of(), Map.of());

    /** Copies and sorts. */
    PriceTable {
        models = Map.copyOf(models);
        providers = Map.copyOf(providers);
        invalid = Map.copyOf(invalid);
    }

    private static PriceTable of(final Map<String, Price> models,
            final Map<String, Price> providers, final Map<String, String> invalid) {
        return new PriceTable(models, providers, invalid, hash(models, providers));
    }

    /**
     * Reads the table from configuration properties; other keys are ignored, malformed
     * entries are skipped (their models stay unpriced) and listed in {@link #invalid()}.
     *
     * @param properties the configuration
     * @return the table
     */
    static PriceTable parse(final Map<String, ?> properties) {
        final Map<String, Price> models = new TreeMap<>();
        final Map<String, Price> providers = new TreeMap<>();
        final Map<String, String> invalid = new TreeMap<>();
        for (final Map.Entry<String, ?> entry : properties.entrySet()) {
            final String key = entry.getKey();
            final boolean model = key.startsWith(MODEL_PREFIX);
            if (!model && !key.startsWith(PROVIDER_PREFIX)) {
                continue;
            }
            final String name = key.substring(model ? MODEL_PREFIX.length()
                    : PROVIDER_PREFIX.length()).trim();
            if (name.isEmpty()) {
                invalid.put(key, "no model or provider name");
                continue;
            }
            try {
                final Price price = Price.parse(String.valueOf(entry.getValue()));
                (model ? models : providers).put(name, price);
            } catch (final IllegalArgumentException e) {
                invalid.put(key, e.getMessage());
            }
        }
        return of(models, providers, invalid);
    }

    private static String hash(final Map<String, Price> models,
            final Map<String, Price> providers) {
        final StringBuilder text = new StringBuilder();
        new TreeMap<>(models).forEach((k, v) -> text.append("model ").append(k).append(' ')
                .append(v.canonical()).append('\n'));
        new TreeMap<>(providers).forEach((k, v) -> text.append("provider ").append(k)
                .append(' ').append(v.canonical()).append('\n'));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    /**
     * The price of a model: the model's own entry, else {@code <provider>/<model>} (LiteLLM
     * style names), else the provider's catch-all entry.
     *
     * @param providerId the provider, or {@code null}
     * @param model the model, or {@code null}
     * @return the price, if the table has one
     */
    Optional<Price> lookup(final String providerId, final String model) {
        if (model != null) {
            final Price own = models.get(model);
            if (own != null) {
                return Optional.of(own);
            }
            if (providerId != null) {
                final Price prefixed = models.get(providerId + "/" + model);
                if (prefixed != null) {
                    return Optional.of(prefixed);
                }
            }
        }
        return providerId == null ? Optional.empty()
                : Optional.ofNullable(providers.get(providerId));
    }

    /**
     * Every entry as {@code kind, name, price} rows, sorted.
     *
     * @return the entries
     */
    List<Entry> entries() {
        final List<Entry> entries = new ArrayList<>();
        new TreeMap<>(models).forEach((k, v) -> entries.add(new Entry("model", k, v)));
        new TreeMap<>(providers).forEach((k, v) -> entries.add(new Entry("provider", k, v)));
        return entries;
    }

    /**
     * One entry of the table.
     *
     * @param kind {@code model} or {@code provider}
     * @param name the model or provider
     * @param price the price
     */
    record Entry(String kind, String name, Price price) {
    }
}
