"""Console: solution catalog (categories, solutions and SKUs, banners, news, industry groups,
reviews).

Thin interface over ``catalog.services``: saving a solution sanitises its rich-text
tabs and rebuilds its search text, SKUs are validated by ``sku_save``, publishing and
review hiding go through their services and report refusals with reasons. Consultation
tickets and trial requests live in the leads module.

Modules: ``common`` (``CatalogAdmin``), ``categories``, ``solutions`` (solutions and
SKUs), ``content`` (banners, news, industry groups), ``brands_help`` (brands, help centre)
and ``reviews``. Importing the
package registers their admins, in this order.
"""

# Registered in the console's historical order.
# isort: off
from .categories import CategoryAdmin
from .solutions import SkuAdmin, SolutionAdmin
from .brands_help import BrandAdmin, HelpArticleAdmin, HelpCategoryAdmin
from .content import BannerAdmin, IndustryGroupAdmin, NewsItemAdmin
from .reviews import ReviewAdmin

# isort: on

__all__ = [
    "BannerAdmin",
    "BrandAdmin",
    "CategoryAdmin",
    "HelpArticleAdmin",
    "HelpCategoryAdmin",
    "IndustryGroupAdmin",
    "NewsItemAdmin",
    "ReviewAdmin",
    "SkuAdmin",
    "SolutionAdmin",
]
