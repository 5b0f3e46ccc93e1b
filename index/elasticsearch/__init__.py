"""The Elasticsearch backend of the index: the same store contract as the embedded SQLite index, on a cluster.

- :mod:`.config`: where the cluster is and how its indices look (built from the settings by ``policykb.assembly``);
- :mod:`.mapping`: index names, settings and mappings; :mod:`.admin`: ``policykb es check`` and ``policykb reindex``;
- :mod:`.store`: :class:`~index.elasticsearch.store.ElasticsearchPolicyStore`, which writes through :mod:`.bulk`,
  encodes records with :mod:`.codecs` and searches with :mod:`.queries` and :mod:`.highlight`.
"""
