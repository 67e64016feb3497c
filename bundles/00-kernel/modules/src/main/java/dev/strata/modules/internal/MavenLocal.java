package dev.strata.modules.internal;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves {@code mvn:group/artifact/version[/type[/classifier]]} in the local Maven repository
 * ({@code STRATA_MAVEN_REPO}, or {@code ~/.m2/repository}). The server never downloads code by
 * itself: an admin who wants an artifact from a remote repository fetches it with Maven first.
 */
final class MavenLocal {
    private MavenLocal() {
    }

    static Path resolve(String url) {
        String[] p = url.substring("mvn:".length()).split("/");
        if (p.length < 3 || p.length > 5) {
            throw new IllegalArgumentException("Expected mvn:group/artifact/version[/type[/classifier]], got " + url);
        }
        String type = p.length > 3 && !p[3].isEmpty() ? p[3] : "jar";
        String classifier = p.length > 4 ? "-" + p[4] : "";
        String env = System.getenv("STRATA_MAVEN_REPO");
        Path repo = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".m2", "repository");
        Path jar = repo.resolve(p[0].replace('.', '/')).resolve(p[1]).resolve(p[2]).resolve(p[1] + "-" + p[2] + classifier + "." + type);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(url + " is not in the local Maven repository (" + jar + "); fetch it with mvn dependency:get first");
        }
        return jar;
    }
}
