"""The API's objects, generated from its OpenAPI document (``Contact``, ``ListDetail`` …).

Each is an attrs class with ``from_dict``/``to_dict``; fields the document does not name
are kept in ``additional_properties``."""

from roster_client._generated.models import *  # noqa: F403
from roster_client._generated.models import __all__ as __all__
from roster_client._generated.types import UNSET as UNSET
from roster_client._generated.types import Unset as Unset
