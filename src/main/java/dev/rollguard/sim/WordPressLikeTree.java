package dev.rollguard.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates a WordPress-shaped PHP application: {@code wp-config.php} defines ABSPATH, {@code wp-settings.php}
 * defines WPINC and requires hundreds of files with {@code require ABSPATH . WPINC . '/x.php'}, plus admin
 * screens, plugins and themes with PHP, JSON, CSS, JS and text files. The PHP is valid and runs under
 * mod_php: index.php prints a page built by calling into the required files. Deterministic for a seed.
 */
public final class WordPressLikeTree {
    private static final String[] CORE = {"class-wp-hook", "plugin", "functions", "option", "load", "default-constants",
            "version", "compat", "class-wp-error", "formatting", "meta", "post", "user", "query", "rewrite", "cache",
            "l10n", "class-wp-query", "class-wp-post", "taxonomy", "comment", "link-template", "general-template",
            "script-loader", "theme", "shortcodes", "media", "http", "cron", "capabilities", "kses", "pluggable",
            "rest-api", "blocks", "embed", "feed", "nav-menu", "widgets", "sitemaps", "template-loader"};
    private static final String[] VERBS = {"get", "set", "update", "delete", "render", "sanitize", "filter", "register",
            "load", "parse", "fetch", "prepare", "validate", "format", "build"};
    private static final String[] NOUNS = {"option", "post", "meta", "user", "term", "comment", "cache", "query",
            "block", "widget", "menu", "theme", "plugin", "template", "request", "response", "setting", "field"};
    private static final String[] COMMON_CALLS = {"apply_filters", "do_action", "add_filter", "add_action", "esc_html",
            "esc_attr", "wp_cache_get", "get_option", "is_admin", "sanitize_text_field"};

    private WordPressLikeTree() {}

    /** Name of the file in wp-includes that {@link #withTypo} breaks. */
    public static final String TYPO_FILE = "class-wp-hook";

    public static Map<String, String> generate(int targetFiles, long seed) {
        Random rnd = new Random(seed);
        Map<String, String> files = new LinkedHashMap<>();
        int coreCount = Math.max(CORE.length, Math.min(300, targetFiles / 4));
        List<String> includes = new ArrayList<>();
        for (int i = 0; i < coreCount; i++) includes.add(i < CORE.length ? CORE[i] : "class-wp-" + noun(rnd) + "-" + i);

        files.put("index.php", php("Front to the application.",
                "define( 'WP_USE_THEMES', true );\nrequire __DIR__ . '/wp-blog-header.php';\n"));
        files.put("wp-blog-header.php", php("Loads the environment and template.",
                "if ( ! isset( $wp_did_header ) ) {\n\t$wp_did_header = true;\n\trequire_once __DIR__ . '/wp-load.php';\n"
                        + "\trequire_once ABSPATH . WPINC . '/template-loader.php';\n}\n"));
        files.put("wp-load.php", php("Bootstrap file for setting the ABSPATH constant.",
                "if ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n"
                        + "if ( file_exists( ABSPATH . 'wp-config.php' ) ) {\n\trequire_once ABSPATH . 'wp-config.php';\n}\n"));
        files.put("wp-config.php", php("The base configuration.",
                "define( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wordpress' );\ndefine( 'DB_PASSWORD', 'change-me' );\n"
                        + "define( 'DB_HOST', 'localhost' );\ndefine( 'WP_DEBUG', false );\n$table_prefix = 'wp_';\n"
                        + "if ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n"
                        + "require_once ABSPATH . 'wp-settings.php';\n"));

        StringBuilder settings = new StringBuilder("define( 'WPINC', 'wp-includes' );\n"
                + "define( 'WP_CONTENT_DIR', ABSPATH . 'wp-content' );\n$GLOBALS['rg_loaded'] = 0;\n\n");
        for (String inc : includes) {
            if (inc.equals("template-loader")) continue;
            settings.append("require ABSPATH . WPINC . '/").append(inc).append(".php';\n");
        }
        settings.append("\nrequire_once WP_CONTENT_DIR . '/themes/twentyrollguard/functions.php';\n");
        files.put("wp-settings.php", php("Used to set up and fix common variables and include the procedural and class library.",
                settings.toString()));

        List<String> defined = new ArrayList<>();
        for (int i = 0; i < includes.size(); i++) {
            String inc = includes.get(i);
            if (inc.equals("template-loader")) {
                files.put("wp-includes/template-loader.php", php("Loads the correct template.",
                        "echo '<!DOCTYPE html><html><head><title>Rollguard demo</title></head><body>';\n"
                                + "echo '<h1>' . rg_site_title() . '</h1>';\n"
                                + "echo '<p>Loaded ' . $GLOBALS['rg_loaded'] . ' files.</p>';\necho '</body></html>';\n"));
                continue;
            }
            StringBuilder body = new StringBuilder("$GLOBALS['rg_loaded']++;\n\n");
            int functions = 2 + rnd.nextInt(4);
            for (int f = 0; f < functions; f++) {
                String name = "wp_" + VERBS[rnd.nextInt(VERBS.length)] + "_" + noun(rnd) + "_" + i + "_" + f;
                defined.add(name);
                body.append(function(rnd, name));
            }
            files.put("wp-includes/" + inc + ".php", php("Core library: " + inc + ".", body.toString()));
        }
        files.put("wp-content/themes/twentyrollguard/functions.php", php("Theme functions.",
                "function rg_site_title() {\n\treturn 'Rollguard demo site';\n}\n"));
        files.put("wp-content/themes/twentyrollguard/style.css", "/*\nTheme Name: Twenty Rollguard\n*/\nbody { font-family: sans-serif; }\n");
        files.put("wp-content/themes/twentyrollguard/theme.json", "{\n  \"version\": 2,\n  \"settings\": { \"color\": { \"custom\": true } }\n}\n");

        int plugin = 0;
        while (files.size() < targetFiles) {
            String dir = "wp-content/plugins/plugin-" + plugin + "/";
            StringBuilder cls = new StringBuilder("class Plugin_" + plugin + " {\n");
            for (int m = 0; m < 3; m++) {
                cls.append("\tpublic function ").append(VERBS[rnd.nextInt(VERBS.length)]).append('_').append(noun(rnd))
                        .append("_").append(m).append("( $value ) {\n\t\treturn ")
                        .append(COMMON_CALLS[rnd.nextInt(COMMON_CALLS.length)]).append("( $value );\n\t}\n");
            }
            // in dependency order, so a tree cut at targetFiles never refers to a file it lacks
            Map<String, String> pluginFiles = new LinkedHashMap<>();
            pluginFiles.put(dir + "readme.txt", "=== Plugin " + plugin + " ===\nRequires PHP: 7.4\nStable tag: 1." + plugin
                    + "\n\nA generated plugin used to make the tree WordPress-sized.\n");
            pluginFiles.put(dir + "includes/class-plugin-" + plugin + ".php", php("Main class.", cls + "}\n"));
            pluginFiles.put(dir + "plugin-" + plugin + ".php", php("Plugin Name: Plugin " + plugin + ".",
                    "require_once __DIR__ . '/includes/class-plugin-" + plugin + ".php';\n"));
            pluginFiles.put(dir + "build/index.js", "(function () {\n  var el = document.querySelector('.plugin-" + plugin
                    + "');\n  if (el) { el.classList.add('ready'); }\n})();\n");
            pluginFiles.put(dir + "build/style.css", ".plugin-" + plugin + " { margin: " + rnd.nextInt(20) + "px; }\n");
            pluginFiles.put(dir + "block.json", "{\n  \"apiVersion\": 2,\n  \"name\": \"plugin/block-" + plugin + "\",\n  \"title\": \"Block "
                    + plugin + "\",\n  \"editorScript\": \"file:./build/index.js\",\n  \"style\": \"file:./build/style.css\"\n}\n");
            for (var e : pluginFiles.entrySet()) {
                if (files.size() >= targetFiles) break;
                files.put(e.getKey(), e.getValue());
            }
            plugin++;
        }
        return files;
    }

    /** The seed's outage: one {@code .php} typed as {@code .phpp} in one require of wp-settings.php. */
    public static Map<String, String> withTypo(Map<String, String> files) {
        Map<String, String> copy = new LinkedHashMap<>(files);
        String settings = copy.get("wp-settings.php");
        String good = "/" + TYPO_FILE + ".php';";
        if (!settings.contains(good)) throw new IllegalStateException("tree has no require of " + TYPO_FILE);
        copy.put("wp-settings.php", settings.replace(good, "/" + TYPO_FILE + ".phpp';"));
        return copy;
    }

    private static String noun(Random rnd) {
        return NOUNS[rnd.nextInt(NOUNS.length)];
    }

    private static String function(Random rnd, String name) {
        String call = COMMON_CALLS[rnd.nextInt(COMMON_CALLS.length)];
        return "/**\n * " + name.replace('_', ' ') + ".\n *\n * @param mixed $value Input.\n * @return mixed\n */\n"
                + "function " + name + "( $value = null ) {\n"
                + "\tif ( function_exists( '" + call + "' ) ) {\n\t\treturn " + call + "( $value );\n\t}\n"
                + "\treturn $value;\n}\n\n";
    }

    private static String php(String doc, String body) {
        return "<?php\n/**\n * " + doc + "\n *\n * @package WordPress\n */\n\n" + body;
    }
}
