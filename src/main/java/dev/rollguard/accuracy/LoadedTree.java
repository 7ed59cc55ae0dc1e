package dev.rollguard.accuracy;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.validate.TreeExtras;

/** A tree as the benchmark validates it: its text files and what else it holds (binaries, links). */
record LoadedTree(ConfigTree tree, TreeExtras extras) {}
