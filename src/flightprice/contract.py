"""The raw-data contract's fixed vocabularies, shared by generator, validation and pricing."""

CABINS: tuple[str, ...] = ("economy", "premium_economy", "business", "first")
