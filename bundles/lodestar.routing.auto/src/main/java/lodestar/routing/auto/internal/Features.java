package lodestar.routing.auto.internal;

import java.util.Arrays;
import java.util.Locale;

/**
 * Turns a prompt into a hashed sparse feature vector (the "hashing trick"): every feature is a
 * name hashed into {@code 2^bits} slots, so the model has a fixed size whatever the vocabulary.
 *
 * <p>Features of the last user turn: word unigrams (letters or digits, lower case, each counted
 * once), optionally word bigrams and character n-grams, length buckets, the number of numbers,
 * code signs (fences, symbol ratio, line count), hard-work marker words, and the prompt's kind
 * (multiple choice, code, text). Of the request: conversation depth, total length, tools and
 * images. Words of the previous user turn count at half weight. With
 * {@link FeatureConfig#kindConjunction()} every feature is emitted twice, once alone and once
 * joined with the kind.
 *
 * <p>Thread-safe and allocation-light: one extraction allocates a few small arrays.
 */
final class Features {

    /** The kind of prompt, detected from its text. */
    enum Kind {
        /** A question with lettered options (A. B. C. ...). */
        CHOICE,
        /** Source code: a fenced block or a high share of symbols over several lines. */
        CODE,
        /** Anything else. */
        TEXT;

        /** @return the lower-case name, for explanations */
        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * An extracted prompt: the vector and what explanations show.
     *
     * @param vector the features
     * @param kind the detected kind
     * @param tokens estimated input tokens of the whole request
     * @param markers how many distinct hard-work markers were found
     */
    record Extracted(SparseVector vector, Kind kind, long tokens, int markers) {
    }

    private static final int NS_WORD = 0x1b873593;
    private static final int NS_BIGRAM = 0x5bd1e995;
    private static final int NS_TRIGRAM = 0x3c6ef372;
    private static final int NS_CHAR = 0x27d4eb2f;
    private static final int NS_PREV = 0x165667b1;
    private static final int NS_MARKER = 0x61c88647;
    private static final int[] KIND_SALT = {0x2545f491, 0x4f1bbcdd, 0x7a3c5e29};
    private static final int MAX_CHAR_TOKEN = 32;
    /** Words that state a quantity or an operation in a word problem. */
    private static final String[] NUMBER_WORDS = {"one", "two", "three", "four", "five", "six",
        "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen", "twenty", "thirty",
        "forty", "fifty", "hundred", "thousand", "million", "dozen", "half", "twice", "double",
        "triple", "third", "quarter", "fourth", "fifth", "percent", "times"};
    /** Upper-case negations that turn a question around ("Which is NOT ..."). */
    private static final String[] NEGATIONS = {"NOT", "EXCEPT", "LEAST"};
    private static final int MAX_BUCKET = 16;

    private final FeatureConfig config;
    private final int mask;
    private final int[] markerWords;
    private final int[] markerPairs;

    /**
     * Prepares an extractor.
     *
     * @param config the feature configuration
     */
    Features(final FeatureConfig config) {
        this.config = config;
        this.mask = config.dimension() - 1;
        final int[] words = new int[config.markers().size()];
        final int[] pairs = new int[config.markers().size()];
        int nw = 0;
        int np = 0;
        for (final String marker : config.markers()) {
            final int[] tokens = tokenHashes(marker);
            if (tokens.length == 1) {
                words[nw++] = tokens[0];
            } else if (tokens.length == 2) {
                pairs[np++] = pair(tokens[0], tokens[1]);
            }
        }
        markerWords = Arrays.stream(words, 0, nw).sorted().distinct().toArray();
        markerPairs = Arrays.stream(pairs, 0, np).sorted().distinct().toArray();
    }

    /** @return the configuration */
    FeatureConfig config() {
        return config;
    }

    /**
     * Extracts the features of a prompt.
     *
     * @param view the prompt
     * @return the vector and its summary
     */
    Extracted extract(final PromptView view) {
        final String text = view.lastUser();
        final int max = config.maxChars();
        // about one token in five characters: sized once, long turns do not regrow the arrays
        final Scan scan = new Scan(Math.min(text.length(), max) / 5 + 16);
        if (text.length() <= max) {
            scan(text, 0, text.length(), scan, true);
        } else {
            final int head = max * 3 / 4;
            scan(text, 0, head, scan, true);
            scan(text, text.length() - (max - head), text.length(), scan, true);
        }
        final String previous = view.previousUser();
        if (!previous.isEmpty()) {
            scan(previous, 0, Math.min(previous.length(), max / 4), scan, false);
        }
        final Kind kind = kind(scan);
        final Out out = new Out(kind, 2 * (scan.nWords + scan.nBigrams + scan.nTrigrams
                + scan.nChars + scan.nPrevious) + 96);
        final int words = distinct(scan.words, scan.nWords);
        final int bigrams = distinct(scan.bigrams, scan.nBigrams);
        final int trigrams = distinct(scan.trigrams, scan.nTrigrams);
        final int chars = distinct(scan.chars, scan.nChars);
        final int previousWords = distinct(scan.previous, scan.nPrevious);
        final float norm = config.textNorm() > 0 ? (float) (config.textNorm()
                / Math.sqrt(Math.max(1, words + bigrams + trigrams + chars + previousWords)))
                : 1f;
        out.all(scan.words, words, norm);
        out.all(scan.bigrams, bigrams, norm * (float) config.bigramWeight());
        out.all(scan.trigrams, trigrams, norm * (float) config.trigramWeight());
        out.all(scan.chars, chars, norm * (float) config.charWeight());
        out.all(scan.previous, previousWords, norm * 0.5f);
        final int markers = out.all(scan.markers, distinct(scan.markers, scan.nMarkers), 1f);
        if (config.shape()) {
            shape(text, Math.min(text.length(), max), out);
        }

        out.add(name("bias"), 1f);
        final int length = text.length();
        final int bucket = log2Bucket(length);
        out.add(name("len:" + bucket), 1f);
        out.add(name("len:" + (bucket - 1)), 0.5f);
        out.add(name("len:" + (bucket + 1)), 0.5f);
        out.add(name("lenlin"), (float) (Math.log1p(length) / 8));
        if (view.totalChars() > length) {
            out.add(name("ctx:" + log2Bucket(view.totalChars())), 1f);
        }
        out.add(name("nums:" + Math.min(scan.numbers, 12)), 1f);
        out.add(name("kind:" + kind.ordinal()), 1f);
        out.add(name("depth:" + log2Bucket(Math.max(0, view.depth() - 1))), 1f);
        out.add(name("lines:" + log2Bucket(scan.lines)), 1f);
        final double symbols = scan.scanned == 0 ? 0 : (double) scan.symbols / scan.scanned;
        out.add(name("sym:" + Math.min((int) (symbols * 20), 6)), 1f);
        if (scan.fence) {
            out.add(name("fence"), 1f);
        }
        out.add(name("sent:" + log2Bucket(scan.sentences)), 1f);
        out.add(name("digits:" + Math.min(scan.maxDigits, 8)), 1f);
        if (scan.decimals > 0) {
            out.add(name("decimal"), 1f);
        }
        if (scan.percent) {
            out.add(name("percent"), 1f);
        }
        if (scan.money) {
            out.add(name("money"), 1f);
        }
        if (view.tools()) {
            out.add(name("tools"), 1f);
        }
        if (view.images()) {
            out.add(name("images"), 1f);
        }
        if (markers > 0) {
            out.add(name("mk:any"), 1f);
            out.add(name("mk:n" + Math.min(markers, 3)), 1f);
        }
        // unsorted: sorting thousands of entries of a long turn would cost more than scoring
        return new Extracted(new SparseVector(Arrays.copyOf(out.indices, out.size),
                Arrays.copyOf(out.values, out.size)), kind, view.estimatedTokens(), markers);
    }

    /** Sorts the first {@code count} keys and moves the distinct ones to the front. */
    private static int distinct(final int[] keys, final int count) {
        if (count == 0) {
            return 0;
        }
        Arrays.sort(keys, 0, count);
        int n = 1;
        for (int i = 1; i < count; i++) {
            if (keys[i] != keys[n - 1]) {
                keys[n++] = keys[i];
            }
        }
        return n;
    }

    /**
     * The question-shape features of {@code text[0, to)}: the stem (the text before the first
     * option line), the options, negations, statement pairs, number words and quantities.
     */
    private static void shape(final String text, final int to, final Out out) {
        int options = 0;
        int numeric = 0;
        int optionChars = 0;
        int stem = -1;
        int lineStart = 0;
        for (int i = 0; i <= to; i++) {
            if (i < to && text.charAt(i) != '\n') {
                continue;
            }
            if (isOption(text, lineStart, i)) {
                if (stem < 0) {
                    stem = lineStart;
                }
                options++;
                optionChars += i - lineStart - 3;
                for (int k = lineStart + 3; k < i; k++) {
                    if (Character.isDigit(text.charAt(k))) {
                        numeric++;
                        break;
                    }
                }
            }
            lineStart = i + 1;
        }
        final int stemEnd = stem < 0 ? to : stem;
        if (options > 0) {
            out.add(name("sh:numopt:" + numeric * 4 / options), 1f);
            out.add(name("sh:optlen:" + log2Bucket(optionChars / options)), 1f);
        }
        out.add(name("sh:stem:" + log2Bucket(stemEnd)), 1f);
        int numberWords = 0;
        int quantities = 0;
        int questions = 0;
        boolean negation = false;
        int start = -1;
        for (int i = 0; i <= stemEnd; i++) {
            final char c = i < stemEnd ? text.charAt(i) : ' ';
            if (Character.isLetterOrDigit(c)) {
                if (start < 0) {
                    start = i;
                }
                continue;
            }
            if (c == '?') {
                questions++;
            }
            if (start >= 0) {
                if (Character.isDigit(text.charAt(start))) {
                    quantities++;
                } else if (isNumberWord(text, start, i)) {
                    numberWords++;
                } else if (isNegation(text, start, i)) {
                    negation = true;
                }
                start = -1;
            }
        }
        out.add(name("sh:quant:" + Math.min(quantities + numberWords, 14)), 1f);
        out.add(name("sh:numw:" + Math.min(numberWords, 6)), 1f);
        out.add(name("sh:q:" + Math.min(questions, 3)), 1f);
        if (negation) {
            out.add(name("sh:neg"), 1f);
        }
        if (text.startsWith("Statement 1") || text.contains("\nStatement 1")) {
            out.add(name("sh:stmt"), 1f);
        }
        if (text.contains("of the above")) {
            out.add(name("sh:above"), 1f);
        }
    }

    private static boolean isNumberWord(final String text, final int from, final int to) {
        final int length = to - from;
        if (length < 3 || length > 8) {
            return false;
        }
        for (final String word : NUMBER_WORDS) {
            if (word.length() == length && text.regionMatches(true, from, word, 0, length)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isNegation(final String text, final int from, final int to) {
        for (final String word : NEGATIONS) {
            if (word.length() == to - from && text.startsWith(word, from)) {
                return true;
            }
        }
        return false;
    }

    private static Kind kind(final Scan scan) {
        if (scan.options >= 2) {
            return Kind.CHOICE;
        }
        if (scan.fence || scan.scanned > 0 && scan.lines >= 3
                && (double) scan.symbols / scan.scanned >= 0.12) {
            return Kind.CODE;
        }
        return Kind.TEXT;
    }

    /** Scans {@code text[from, to)} for tokens and counts. */
    private void scan(final String text, final int from, final int to, final Scan scan,
            final boolean current) {
        final char[] token = new char[MAX_CHAR_TOKEN];
        int tokenLength = 0;
        int hash = 0x811c9dc5;
        int type = 0;
        int previousToken = 0;
        int secondToken = 0;
        int run = 0;
        boolean lineStart = from == 0;
        for (int i = from; i <= to; i++) {
            final char c = i < to ? text.charAt(i) : ' ';
            final int t = Character.isLetter(c) ? 1 : Character.isDigit(c) ? 2 : 0;
            if (t != 0 && t == type) {
                hash = (hash ^ Character.toLowerCase(c)) * 0x01000193;
                if (tokenLength < MAX_CHAR_TOKEN) {
                    token[tokenLength] = Character.toLowerCase(c);
                }
                tokenLength++;
                continue;
            }
            if (type != 0) {
                final int tokenHash = mix(hash);
                if (current) {
                    scan.words = push(scan.words, scan.nWords++, mix(tokenHash ^ NS_WORD));
                    if (type == 2) {
                        scan.numbers++;
                        scan.maxDigits = Math.max(scan.maxDigits, tokenLength);
                        if (i + 1 < to && text.charAt(i) == '.'
                                && Character.isDigit(text.charAt(i + 1))) {
                            scan.decimals++;
                        }
                    }
                    if (Arrays.binarySearch(markerWords, tokenHash) >= 0) {
                        scan.markers = push(scan.markers, scan.nMarkers++,
                                mix(tokenHash ^ NS_MARKER));
                    }
                    if (run >= 2 && config.trigrams()) {
                        scan.trigrams = push(scan.trigrams, scan.nTrigrams++,
                                mix(pair(pair(secondToken, previousToken), tokenHash)
                                        ^ NS_TRIGRAM));
                    }
                    if (run >= 1) {
                        final int pair = pair(previousToken, tokenHash);
                        if (config.bigrams()) {
                            scan.bigrams = push(scan.bigrams, scan.nBigrams++,
                                    mix(pair ^ NS_BIGRAM));
                        }
                        if (Arrays.binarySearch(markerPairs, pair) >= 0) {
                            scan.markers = push(scan.markers, scan.nMarkers++,
                                    mix(pair ^ NS_MARKER));
                        }
                    }
                    if (config.charNgrams() > 0 && type == 1) {
                        charNgrams(token, Math.min(tokenLength, MAX_CHAR_TOKEN), scan);
                    }
                } else {
                    scan.previous = push(scan.previous, scan.nPrevious++,
                            mix(tokenHash ^ NS_PREV));
                }
                secondToken = previousToken;
                previousToken = tokenHash;
                run++;
                type = 0;
                tokenLength = 0;
            }
            if (i == to) {
                break;
            }
            if (t != 0) {
                type = t;
                hash = (0x811c9dc5 ^ Character.toLowerCase(c)) * 0x01000193;
                token[0] = Character.toLowerCase(c);
                tokenLength = 1;
            }
            if (current) {
                scan.scanned++;
                if (t == 0 && !Character.isWhitespace(c)) {
                    scan.symbols++;
                }
                if (lineStart && isOption(text, i, to)) {
                    scan.options++;
                }
                if (c == '`' && i + 2 < to && text.charAt(i + 1) == '`'
                        && text.charAt(i + 2) == '`') {
                    scan.fence = true;
                }
                if (c == '\n') {
                    scan.lines++;
                }
                if ((c == '.' || c == '?' || c == '!')
                        && (i + 1 == to || Character.isWhitespace(text.charAt(i + 1)))) {
                    scan.sentences++;
                }
                if (c == '%') {
                    scan.percent = true;
                }
                if (c == '$' || c == '\u20ac' || c == '\u00a3') {
                    scan.money = true;
                }
            }
            lineStart = c == '\n';
        }
        if (current && to > from) {
            scan.lines++;
        }
    }

    /** Whether a line starting at {@code i} is a lettered option like {@code B. text}. */
    private static boolean isOption(final String text, final int i, final int to) {
        if (i + 2 >= to) {
            return false;
        }
        final char letter = text.charAt(i);
        final char dot = text.charAt(i + 1);
        return (letter >= 'A' && letter <= 'E' || letter >= 'a' && letter <= 'e')
                && (dot == '.' || dot == ')') && text.charAt(i + 2) == ' ';
    }

    private void charNgrams(final char[] token, final int length, final Scan scan) {
        // the word padded with boundary marks: ^word$
        final int padded = length + 2;
        for (int n = 3; n <= config.charNgrams(); n++) {
            for (int start = 0; start + n <= padded; start++) {
                int h = 0x811c9dc5 ^ n;
                for (int k = start; k < start + n; k++) {
                    final char c = k == 0 ? '^' : k == padded - 1 ? '$' : token[k - 1];
                    h = (h ^ c) * 0x01000193;
                }
                scan.chars = push(scan.chars, scan.nChars++, mix(h ^ NS_CHAR));
            }
        }
    }

    /**
     * The token hashes of a text, as {@link #extract} computes them (for marker phrases).
     *
     * @param text the text
     * @return one hash per token
     */
    static int[] tokenHashes(final String text) {
        int[] out = new int[4];
        int n = 0;
        int hash = 0x811c9dc5;
        int type = 0;
        for (int i = 0; i <= text.length(); i++) {
            final char c = i < text.length() ? text.charAt(i) : ' ';
            final int t = Character.isLetter(c) ? 1 : Character.isDigit(c) ? 2 : 0;
            if (t != 0 && t == type) {
                hash = (hash ^ Character.toLowerCase(c)) * 0x01000193;
                continue;
            }
            if (type != 0) {
                out = push(out, n++, mix(hash));
            }
            type = t;
            if (t != 0) {
                hash = (0x811c9dc5 ^ Character.toLowerCase(c)) * 0x01000193;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int pair(final int first, final int second) {
        return mix(first * 0x9e3779b1 + second);
    }

    private static int name(final String name) {
        int h = 0x811c9dc5;
        for (int i = 0; i < name.length(); i++) {
            h = (h ^ name.charAt(i)) * 0x01000193;
        }
        return mix(h ^ 0x3c6ef372);
    }

    /** Buckets of powers of two: 0 for 0, 1 for 1, 2 for 2-3, 3 for 4-7, ... capped. */
    static int log2Bucket(final long value) {
        if (value <= 0) {
            return 0;
        }
        return Math.min(64 - Long.numberOfLeadingZeros(value), MAX_BUCKET);
    }

    /** The finaliser of MurmurHash3: spreads every input bit over the output. */
    static int mix(final int value) {
        int h = value;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    private static int[] push(final int[] array, final int at, final int value) {
        final int[] target = at < array.length ? array : Arrays.copyOf(array, array.length * 2);
        target[at] = value;
        return target;
    }

    /** Raw hashes collected while scanning. */
    private static final class Scan {
        int[] words;
        int nWords;
        int[] bigrams;
        int nBigrams;
        int[] trigrams;
        int nTrigrams;
        int[] chars = new int[16];
        int nChars;
        int[] previous = new int[16];
        int nPrevious;
        int[] markers = new int[4];
        int nMarkers;
        int numbers;
        int symbols;
        int scanned;
        int lines;
        int options;
        int sentences;
        int maxDigits;
        int decimals;
        boolean percent;
        boolean money;
        boolean fence;

        Scan(final int tokens) {
            words = new int[tokens];
            bigrams = new int[tokens];
            trigrams = new int[tokens];
        }
    }

    /** The output entries, each emitted alone and joined with the kind. */
    private final class Out {
        private final int salt;
        int[] indices;
        float[] values;
        int size;

        Out(final Kind kind, final int capacity) {
            salt = KIND_SALT[kind.ordinal()];
            indices = new int[capacity];
            values = new float[capacity];
        }

        void add(final int key, final float value) {
            put(mix(key) & mask, value);
            if (config.kindConjunction()) {
                put(mix(key + salt) & mask, value);
            }
        }

        private void put(final int index, final float value) {
            if (size == indices.length) {
                indices = Arrays.copyOf(indices, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            indices[size] = index;
            values[size] = value;
            size++;
        }

        /** Adds the first {@code count} keys with one value; returns {@code count}. */
        int all(final int[] keys, final int count, final float value) {
            if (value != 0) {
                for (int i = 0; i < count; i++) {
                    add(keys[i], value);
                }
            }
            return count;
        }
    }
}
