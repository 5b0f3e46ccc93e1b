"""Entry point of the subprocesses the crash tests kill: ``python -m tests.push.proc_main worker|publish CONFIG``.

CONFIG is a JSON file: {"settings": {...PushSettings...}, "documents": [{"doc_id", "path", "title", "region"}],
"policy": doc_id}.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from push_rules.service import PushService
from push_rules.settings import PushSettings
from push_rules.worker import run_worker
from tests.push.conftest import DocumentLibrary, corpus_document, shared_tokenize


def main() -> None:
    mode, config_path = sys.argv[1], sys.argv[2]
    config = json.loads(open(config_path, encoding="utf-8").read())
    library = DocumentLibrary()
    for doc in config["documents"]:
        library.add(corpus_document(doc["path"], doc["doc_id"], title=doc["title"], region=doc.get("region")))
    service = PushService(PushSettings(**config["settings"]), library, tokenize=shared_tokenize)
    if mode == "publish":
        print(json.dumps(service.publish(config["policy"]).as_dict()), flush=True)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("worker ready", flush=True)
    run_worker(service, stop)


if __name__ == "__main__":
    main()
