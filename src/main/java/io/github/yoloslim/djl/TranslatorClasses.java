package io.github.yoloslim.djl;

import io.github.yoloslim.cache.Sha256;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.Remapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The plugin's classes the translator needs at run time in the application: the closure of
 * {@link LetterboxTranslatorFactory} over every type its class files name (constant pool, descriptors, signatures,
 * inner classes), within this plugin's packages. Other classes are the application's to provide: DJL's API, the
 * JDK, and the libraries {@link #libraries()} names.
 */
final class TranslatorClasses {

    private static final String OWN = "io/github/yoloslim/";
    private static final Set<String> PROVIDED = Set.of("java/", "javax/", "jdk/", "sun/", "ai/djl/", "org/slf4j/");

    private final Map<String, byte[]> classFiles;
    private final Set<String> libraries;

    private TranslatorClasses(Map<String, byte[]> classFiles, Set<String> libraries) {
        this.classFiles = classFiles;
        this.libraries = libraries;
    }

    /** Collects the closure from the class loader that loaded this plugin. */
    static TranslatorClasses collect() throws IOException {
        ClassLoader loader = TranslatorClasses.class.getClassLoader();
        Map<String, byte[]> files = new TreeMap<>();
        Set<String> external = new TreeSet<>();
        Deque<String> pending = new ArrayDeque<>();
        pending.add(LetterboxTranslatorFactory.class.getName().replace('.', '/'));
        while (!pending.isEmpty()) {
            String name = pending.poll();
            String entry = name + ".class";
            if (files.containsKey(entry)) {
                continue;
            }
            byte[] bytes;
            try (InputStream in = loader.getResourceAsStream(entry)) {
                if (in == null) {
                    throw new IOException("The plugin's class " + entry + " is missing from its own class path");
                }
                bytes = in.readAllBytes();
            }
            files.put(entry, bytes);
            for (String referenced : referencedTypes(bytes)) {
                if (referenced.startsWith(OWN)) {
                    pending.add(referenced);
                } else if (PROVIDED.stream().noneMatch(referenced::startsWith)) {
                    external.add(referenced);
                }
            }
        }
        Map<String, String> byLocation = new TreeMap<>();
        Set<String> libraries = new TreeSet<>();
        for (String name : external) {
            libraries.add(library(loader, name, byLocation));
        }
        return new TranslatorClasses(files, libraries);
    }

    /** Archive entry name ({@code io/github/yoloslim/.../X.class}) to class file, sorted by name. */
    Map<String, byte[]> classFiles() {
        return classFiles;
    }

    /** A content hash of the class files, so a changed translator rewrites the archive under one plugin version. */
    String sha256() {
        Sha256 hash = Sha256.builder();
        classFiles.forEach((name, bytes) -> hash.add("class", name).add("bytes", Sha256.ofBytes(bytes)));
        return hash.hex();
    }

    /**
     * The libraries outside the plugin, the JDK and DJL whose classes the translator names, as Maven coordinates
     * {@code groupId:artifactId:version} read from their jars, sorted; a class from elsewhere by its package.
     */
    Set<String> libraries() {
        return libraries;
    }

    private static String library(ClassLoader loader, String internalName, Map<String, String> byLocation) {
        String packageName = internalName.contains("/")
                ? internalName.substring(0, internalName.lastIndexOf('/')).replace('/', '.') : internalName;
        CodeSource source;
        try {
            source = Class.forName(internalName.replace('/', '.'), false, loader).getProtectionDomain()
                    .getCodeSource();
        } catch (ClassNotFoundException | LinkageError e) {
            return packageName;
        }
        if (source == null || source.getLocation() == null) {
            return packageName;
        }
        return byLocation.computeIfAbsent(source.getLocation().toString(), location -> coordinates(source)
                .orElse(packageName));
    }

    /** {@code groupId:artifactId:version} from the {@code pom.properties} Maven writes into every jar it builds. */
    private static Optional<String> coordinates(CodeSource source) {
        try (ZipFile jar = new ZipFile(Path.of(source.getLocation().toURI()).toFile())) {
            Optional<? extends ZipEntry> entry = jar.stream().filter(e -> e.getName().startsWith("META-INF/maven/")
                    && e.getName().endsWith("/pom.properties")).findFirst();
            if (entry.isEmpty()) {
                return Optional.empty();
            }
            Properties pom = new Properties();
            try (InputStream in = jar.getInputStream(entry.get())) {
                pom.load(in);
            }
            return Optional.of(pom.getProperty("groupId") + ":" + pom.getProperty("artifactId") + ":"
                    + pom.getProperty("version"));
        } catch (IOException | URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Set<String> referencedTypes(byte[] classFile) {
        Set<String> names = new TreeSet<>();
        Remapper collector = new Remapper() {
            @Override
            public String map(String internalName) {
                names.add(internalName);
                return internalName;
            }
        };
        new ClassReader(classFile).accept(new ClassRemapper(new ClassWriter(0), collector), 0);
        return names;
    }
}
