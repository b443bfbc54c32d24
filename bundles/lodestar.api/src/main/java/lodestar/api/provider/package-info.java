/**
 * Model providers: one whiteboard service per configured upstream (OpenAI-compatible, Ollama,
 * Anthropic, Gemini, ...), and the asynchronous call contract between the router and a provider.
 */
@Export
@Version("1.0.0")
package lodestar.api.provider;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
