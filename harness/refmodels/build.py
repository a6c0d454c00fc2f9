"""Build the reference models offline: `tiny-exaone4-random` and `tiny-exaone4-memorizer`.

Both are real `Exaone4ForCausalLM` folders (config, safetensors, tokenizer with EXAONE's chat
template) that load back with AutoModelForCausalLM/AutoTokenizer like any hub model. The
memorizer is trained for a short while on the suite's closed-book questions and answers: a
labelled sanity upper bound, not a language model.
"""

from __future__ import annotations

import fcntl
import json
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from harness.prompts.chat import format_prompt
from harness.refmodels.configs import exaone4_config
from harness.refmodels.tokenizer import BOS, EOT, PAD, train_tokenizer
from harness.suite.items import build_items
from harness.suite.loader import Suite

RANDOM_NAME = "tiny-exaone4-random"
MEMORIZER_NAME = "tiny-exaone4-memorizer"
BUILD_VERSION = 3  # bump when the recipe changes: folders of another version are rebuilt
TRAINED_TASKS = ("closed_qa", "closed_qa_ko", "mc", "mc_ko", "tf", "tf_ko")
Log = Callable[[str], None]


def corpus(suite: Suite) -> list[str]:
    """The tokenizer's training text: documents, fact fields and closed-book prompts, with
    distractors as frequent as answers, so that a random model's choice scores stay near
    chance instead of favouring answers that the tokenizer saw more often (fewer tokens)."""
    texts = [doc.text for doc in suite.documents.values()]
    for fact in suite.facts:
        fields = [fact.question, fact.answer, *fact.aliases, *fact.distractors * 3,
                  fact.question_ko or "", fact.answer_ko or "", *fact.aliases_ko,
                  *(fact.distractors_ko or ()) * 3]
        texts.append("\n".join(fields))
    for task in suite.tasks:  # closed-book prompts only: documents are in the corpus once
        if not task.with_document:
            texts.extend(item.prompt for item in build_items(suite, task))
    return texts


def _model(tokenizer: Any, seed: int) -> Any:
    from transformers import Exaone4ForCausalLM

    torch.manual_seed(seed)
    ids = tokenizer.convert_tokens_to_ids
    config = exaone4_config("tiny", vocab_size=len(tokenizer), max_positions=16384,
                            bos=ids(BOS), eos=ids(EOT), pad=ids(PAD))
    model: Any = Exaone4ForCausalLM(config)
    return model.float().eval()


def _save(model: Any, tokenizer: Any, out: Path, label: dict[str, Any]) -> None:
    """Write the model folder next to `out`, then swap it in (no half-written folder)."""
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.generation_config.eos_token_id = tokenizer.convert_tokens_to_ids(EOT)
    model.generation_config.pad_token_id = tokenizer.convert_tokens_to_ids(PAD)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "reference.json").write_text(json.dumps(label, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def _examples(suite: Suite, tokenizer: Any) -> list[tuple[list[int], int]]:
    """(token ids, length of the prompt part) for every closed-book item of the suite."""
    names = {task.name for task in suite.tasks}
    examples = []
    for task_name in TRAINED_TASKS:
        if task_name not in names:
            continue
        task = suite.task(task_name)
        for item in build_items(suite, task):
            target = item.answer if item.label is None else item.choices[item.label]
            prompt = format_prompt(tokenizer, item.prompt, system=suite.config.system_prompt)
            p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            full = tokenizer(prompt + target + EOT, add_special_tokens=False)["input_ids"]
            examples.append((full, len(p_ids)))
    return examples


def train_memorizer(model: Any, examples: list[tuple[list[int], int]], pad_id: int,
                    steps: int, log: Log) -> float:
    """Teacher-forced training on the answer tokens only; returns the final loss."""
    rng = random.Random(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    model.train()
    loss_value = float("nan")
    for step in range(steps):
        batch = rng.sample(examples, min(32, len(examples)))
        width = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), width), pad_id)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (seq, prompt_len) in enumerate(batch):
            ids[row, : len(seq)] = torch.tensor(seq)
            labels[row, prompt_len : len(seq)] = torch.tensor(seq[prompt_len:])
            mask[row, : len(seq)] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        loss_value = float(loss.detach())
        if step % 100 == 0 or step == steps - 1:
            log(f"  step {step + 1}/{steps} loss {loss_value:.4f}")
    model.eval()
    return loss_value


def _built_for(folder: Path, suite: Suite) -> bool:
    label = folder / "reference.json"
    if not label.is_file():
        return False
    data = json.loads(label.read_text(encoding="utf-8"))
    return bool(data.get("suite_hash") == suite.content_hash
                and data.get("build_version") == BUILD_VERSION)


def build_reference_models(suite: Suite, out_dir: Path, *, steps: int = 600,
                           force: bool = False, log: Log = print) -> list[Path]:
    """Build both reference models under `out_dir` (skipped when already built)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".build.lock", "w") as lock:  # one builder at a time per folder
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(suite, out_dir, steps=steps, force=force, log=log)


def _build_locked(suite: Suite, out_dir: Path, *, steps: int, force: bool,
                  log: Log) -> list[Path]:
    torch.manual_seed(0)
    random_dir, memo_dir = out_dir / RANDOM_NAME, out_dir / MEMORIZER_NAME
    if not force and all(_built_for(d, suite) for d in (random_dir, memo_dir)):
        log(f"reference models already built for this suite in {out_dir}")
        return [random_dir, memo_dir]
    started = time.perf_counter()
    tokenizer = train_tokenizer(corpus(suite))
    log(f"tokenizer: {len(tokenizer)} tokens (byte-level BPE on suite {suite.name})")
    label = {"suite": suite.name, "suite_hash": suite.content_hash, "architecture": "Exaone4",
             "build_version": BUILD_VERSION}
    _save(_model(tokenizer, seed=0), tokenizer, random_dir,
          {**label, "kind": "random", "note": "randomly initialised; a chance-level baseline"})
    log(f"built {random_dir}")
    model = _model(tokenizer, seed=1)
    examples = _examples(suite, tokenizer)
    log(f"training memorizer on {len(examples)} closed-book examples for {steps} steps")
    loss = train_memorizer(model, examples, tokenizer.convert_tokens_to_ids(PAD), steps, log)
    _save(model, tokenizer, memo_dir, {
        **label, "kind": "memorizer", "steps": steps, "final_loss": round(loss, 5),
        "trained_tasks": list(TRAINED_TASKS),
        "note": "trained on the suite's closed-book answers: a sanity upper bound, not a model"})
    log(f"built {memo_dir} in {time.perf_counter() - started:.0f} s")
    return [random_dir, memo_dir]
