# Copyright 2026 The open-r1 reproduction authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Word n-gram overlap between training problems and benchmark problems, with 64-bit hashes and numpy.

A text is lower-cased and split into word tokens (`\\w+`: letters, digits, underscore), so punctuation, LaTeX `$`
and spacing differences do not hide a copied problem. Each word gets a 64-bit xxhash; an n-gram's hash is a
polynomial of its n word hashes (mod 2**64), computed for every window of a whole batch at once with numpy, then
mixed (splitmix64). A text shorter than n words contributes one gram of all its words, so a short benchmark
problem copied verbatim is still caught. A row is contaminated by a benchmark if any of its grams is one of the
benchmark's. With ~1e8 training grams against ~1e5 benchmark grams the chance of a false hit from a hash
collision is about 1e8 * 1e5 / 2**64 ~ 5e-7 for the whole dataset.
"""

import re
from collections.abc import Sequence

import numpy as np
import xxhash


_WORD = re.compile(r"\w+")
_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial
_SHORT_TAG = np.uint64(0xD6E8FEB86659FD93)  # keeps a short text's gram apart from an n-gram with the same words


class _WordHashes(dict):
    """word -> 64-bit hash, memoised: words repeat (Zipf), and a dict hit is ~4x cheaper than encode + xxhash."""

    max_size = 2_000_000  # ~250 MB at most; cleared when full (numbers make the vocabulary of 1M problems large)

    def __missing__(self, word: str) -> int:
        if len(self) >= self.max_size:
            self.clear()
        value = self[word] = xxhash.xxh3_64_intdigest(word.encode())
        return value


_word_hashes = _WordHashes()


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the polynomial's bits so nearby grams do not share hash prefixes."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def ngram_hashes(texts: Sequence[str | None], n: int) -> tuple[np.ndarray, np.ndarray]:
    """All gram hashes of a batch of texts: (hashes uint64, owner int64 = index of the text each came from)."""
    word_hashes, lengths, hash_of = [], np.zeros(len(texts), dtype=np.int64), _word_hashes.__getitem__
    for i, text in enumerate(texts):
        hashed = list(map(hash_of, words(text or "")))
        lengths[i] = len(hashed)
        word_hashes.extend(hashed)
    flat = np.array(word_hashes, dtype=np.uint64)
    starts = np.cumsum(lengths) - lengths

    with np.errstate(over="ignore"):
        # Every window of n consecutive words in the concatenation; windows that cross two texts are dropped below.
        windows = max(len(flat) - n + 1, 0)
        acc = np.zeros(windows, dtype=np.uint64)
        for k in range(n):
            acc = acc * _BASE + flat[k : k + windows]
        per_text = np.maximum(lengths - n + 1, 0)
        owner = np.repeat(np.arange(len(texts), dtype=np.int64), per_text)
        window_start = np.arange(per_text.sum(), dtype=np.int64) - np.repeat(np.cumsum(per_text) - per_text, per_text)
        hashes = acc[np.repeat(starts, per_text) + window_start]

        short = np.flatnonzero((lengths > 0) & (lengths < n))
        if len(short):
            short_hashes = np.zeros(len(short), dtype=np.uint64)
            for j, i in enumerate(short):
                h = _SHORT_TAG
                for value in flat[starts[i] : starts[i] + lengths[i]]:
                    h = h * _BASE + value
                short_hashes[j] = h
            hashes = np.concatenate([hashes, short_hashes])
            owner = np.concatenate([owner, short])
        return _mix(hashes), owner


def build_lookup(texts: Sequence[str], n: int) -> np.ndarray:
    """The sorted, unique gram hashes of a benchmark's problems."""
    hashes, _ = ngram_hashes(list(texts), n)
    return np.unique(hashes)


def contamination_flags(texts: Sequence[str | None], lookups: dict[str, np.ndarray], n: int) -> dict[str, list[bool]]:
    """`contaminated_<benchmark>` columns for a batch (the `datasets.map(batched=True)` function)."""
    hashes, owner = ngram_hashes(texts, n)
    columns = {}
    for name, lookup in lookups.items():
        flags = np.zeros(len(texts), dtype=bool)
        if len(lookup):
            position = np.minimum(np.searchsorted(lookup, hashes), len(lookup) - 1)
            flags[owner[lookup[position] == hashes]] = True
        columns[f"contaminated_{name}"] = flags.tolist()
    return columns


def contaminated(texts: Sequence[str | None], lookup: np.ndarray, n: int) -> np.ndarray:
    """For each text, whether any of its grams is in `lookup` (from `build_lookup` with the same n)."""
    return np.array(contamination_flags(texts, {"benchmark": lookup}, n)["contaminated_benchmark"], dtype=bool)
