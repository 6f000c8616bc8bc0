/* corpus.h: the texts of tests/data/appeals-kz (1,200 real citizens' complaints, MIT;
 * its SOURCE.md) for the benchmarks of the knowledge base and of mass incidents
 * (bench/kb.c, bench/incidents.c): every line's "text" of dev.jsonl then test.jsonl. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

/* The texts (GPtrArray of char*), or exits with a message naming the file. */
static inline GPtrArray *bench_corpus_texts(const char *dir)
{
  static const char *const files[] = {"dev.jsonl", "test.jsonl"};
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (guint f = 0; f < G_N_ELEMENTS(files); f++) {
    g_autofree char *path = g_build_filename(dir, files[f], NULL);
    g_autofree char *data = NULL;
    g_auto(GStrv) lines = NULL;
    if (!g_file_get_contents(path, &data, NULL, NULL)) {
      fprintf(stderr, "bench: cannot read %s\n", path);
      exit(2);
    }
    lines = g_strsplit(data, "\n", -1);
    for (char **l = lines; *l; l++) {
      g_autoptr(JsonParser) p = json_parser_new();
      JsonNode *root;
      if (!**l || !json_parser_load_from_data(p, *l, -1, NULL))
        continue;
      root = json_parser_get_root(p);
      if (JSON_NODE_HOLDS_OBJECT(root) &&
          json_object_has_member(json_node_get_object(root), "text"))
        g_ptr_array_add(out, g_strdup(json_object_get_string_member(
                                 json_node_get_object(root), "text")));
    }
  }
  if (!out->len) {
    fprintf(stderr, "bench: no texts in %s\n", dir);
    exit(2);
  }
  return out;
}
