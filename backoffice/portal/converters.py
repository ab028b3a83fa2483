"""Path converters of the portal's URLs: a reference is a fixed pattern, kept as a string."""


class ReferenceConverter:
    """A converter whose value is the matched text itself; subclasses set ``regex``."""

    regex: str

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)
