"""A tiny BERT checkpoint built on the spot (no download), for the checkpoint classifier tests."""

from __future__ import annotations

import pytest

SENTENCES = [
    "이 사람들 정말 싫어 꺼져",
    "좋은 하루 되세요",
    "여자는 운전을 못해",
    "오늘 날씨가 좋네요",
    "시골 사람들은 다 느려",
    "맛있는 점심 먹었어요",
]
BEEP_LABELS = {0: "none", 1: "offensive", 2: "hate"}


def build_tiny_bert(
    directory, id2label: dict[int, str], texts=SENTENCES, initializer_range: float = 0.5
):
    """A 2-layer, 32-wide BERT with a character WordPiece vocabulary of ``texts``, saved with save_pretrained."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    chars = sorted({c for s in texts for c in s if not c.isspace()})
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars)]
    wordpiece = Tokenizer(models.WordPiece({t: i for i, t in enumerate(tokens)}, unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = transformers.BertConfig(
        vocab_size=len(tokens),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        initializer_range=initializer_range,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
