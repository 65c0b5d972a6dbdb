"""Hand-written reference facts about Kestrel Outfitters, shared by the database and the handbook.

Anything that appears both in a document and in a table (a store manager, a category's discount cap)
is defined here exactly once, so the two can never disagree.
"""

from __future__ import annotations

COMPANY = "Kestrel Outfitters"
FOUNDED = "2014"
HQ = "1450 NW Raleigh Street, Portland, Oregon 97209"
RETURN_WINDOW_DAYS = 30
FREE_SHIPPING_THRESHOLD = 75.00
STANDARD_SHIPPING_FEE = 7.95
EXPEDITED_SHIPPING_FEE = 14.95
RESTOCKING_FEE_PCT = 15

# region_id, name, code
REGIONS = [
    (1, "Pacific Northwest", "PNW"),
    (2, "Mountain West", "MTN"),
    (3, "Southeast", "SE"),
    (4, "Northeast", "NE"),
    (5, "National E-commerce", "WEB"),
]

# store_id, name, city, state, region_id, opened_on, square_feet, kind, manager_employee_id
STORES = [
    (1, "Kestrel Portland", "Portland", "OR", 1, "2016-04-09", 18500, "retail", 9),
    (2, "Kestrel Denver", "Denver", "CO", 2, "2018-09-15", 22000, "retail", 10),
    (3, "Kestrel Asheville", "Asheville", "NC", 3, "2020-05-02", 14200, "retail", 11),
    (4, "Kestrel Burlington", "Burlington", "VT", 4, "2022-10-01", 12800, "retail", 12),
    (5, "kestreloutfitters.com", "Portland", "OR", 5, "2017-03-01", None, "online", 4),
]

# employee_id, first, last, title, department, store_id, manager_id, hire_date
LEADERS = [
    (1, "Margaret", "Okafor", "Chief Executive Officer", "Executive", None, None, "2014-02-03"),
    (2, "Daniel", "Reyes", "Chief Financial Officer", "Finance", None, 1, "2017-06-12"),
    (3, "Priya", "Natarajan", "VP Retail Operations", "Retail Operations", None, 1, "2016-01-18"),
    (4, "Tomás", "Lindqvist", "VP E-commerce", "E-commerce", None, 1, "2017-02-06"),
    (5, "Aisha", "Bello", "Head of Security", "Engineering", None, 6, "2021-03-01"),
    (6, "Kenji", "Watanabe", "Chief Technology Officer", "Engineering", None, 1, "2018-08-20"),
    (7, "Rachel", "Goldberg", "Director of People", "People", None, 1, "2019-04-15"),
    (8, "Luis", "Carvalho", "Director of Merchandising", "Merchandising", None, 1, "2018-02-05"),
    (9, "Hannah", "Whitfield", "Store Manager", "Retail Operations", 1, 3, "2016-03-01"),
    (10, "Marcus", "Doyle", "Store Manager", "Retail Operations", 2, 3, "2018-07-09"),
    (11, "Keisha", "Brown", "Store Manager", "Retail Operations", 3, 3, "2020-03-16"),
    (12, "Owen", "Gallagher", "Store Manager", "Retail Operations", 4, 3, "2022-08-01"),
    (13, "Sofia", "Marchetti", "Customer Support Manager", "Customer Support", None, 4, "2019-10-07"),
    (14, "Benjamin", "Adeyemi", "Supply Chain Manager", "Operations", None, 3, "2020-01-13"),
    (15, "Grace", "Liu", "Controller", "Finance", None, 2, "2021-05-24"),
    (16, "Samuel", "Ortiz", "Site Reliability Lead", "Engineering", None, 6, "2020-11-02"),
]

# category, supplier_id, cost ratio (cost / list price), max discount % (pricing guide), products
CATEGORIES = [
    ("Tents & Shelters", 2, 0.52, 20, [
        ("Ridgeline 2P Tent", 329.00), ("Ridgeline 3P Tent", 419.00), ("Talus UL 1P Tent", 379.00),
        ("Basecamp 6 Family Tent", 549.00), ("Sitka Tarp Shelter", 139.00), ("Cirrus Bivy Sack", 189.00),
        ("Tent Footprint 2P", 49.00)]),
    ("Sleeping Systems", 3, 0.50, 20, [
        ("Ember 20F Down Bag", 349.00), ("Ember 0F Down Bag", 479.00), ("Drift 35F Synthetic Bag", 159.00),
        ("Loft Insulated Sleeping Pad", 169.00), ("Cloudrest Self-Inflating Pad", 119.00),
        ("Trail Pillow", 34.00), ("Silk Bag Liner", 69.00)]),
    ("Packs & Bags", 4, 0.48, 25, [
        ("Granite 65L Backpack", 289.00), ("Granite 50L Backpack", 249.00), ("Scout 28L Daypack", 119.00),
        ("Switchback 18L Hydration Pack", 99.00), ("Haul 90L Duffel", 159.00), ("Stuff Sack Set", 39.00),
        ("Trail Hip Pack", 45.00)]),
    ("Apparel", 1, 0.40, 35, [
        ("Alpine Shell Jacket", 299.00), ("Featherline Down Hoodie", 259.00), ("Trailrunner Tee", 38.00),
        ("Merino Base Layer Crew", 89.00), ("Canyon Hiking Pants", 85.00), ("Stormfront Rain Pants", 119.00),
        ("Summit Fleece Pullover", 99.00)]),
    ("Footwear", 5, 0.55, 15, [
        ("Pathfinder Mid WP Boot", 189.00), ("Pathfinder Low Hiker", 159.00), ("Scree Trail Runner", 139.00),
        ("Basecamp Camp Sandal", 65.00), ("Glacier Insulated Boot", 229.00), ("Merino Hiking Socks 3-Pack", 42.00),
        ("Gaiters Pro", 49.00)]),
    ("Climbing", 6, 0.57, 10, [
        ("Verglas Harness", 79.00), ("Dyneema Sling 120cm", 24.00), ("Apex 9.8mm Rope 60m", 229.00),
        ("Crux Climbing Shoe", 149.00), ("Locking Carabiner 3-Pack", 45.00), ("Summit Helmet", 89.00),
        ("Chalk Bag & Brush", 29.00)]),
    ("Camp Kitchen", 7, 0.45, 25, [
        ("Emberline Canister Stove", 79.00), ("Emberline Titanium Pot 900ml", 59.00),
        ("Two-Burner Camp Stove", 169.00), ("Insulated Camp Mug", 24.00), ("Collapsible Water Jug 10L", 29.00),
        ("Camp Cookset 4P", 99.00), ("Gravity Water Filter 4L", 109.00)]),
    ("Navigation & Electronics", 8, 0.68, 10, [
        ("Lodestar GPS Handheld", 399.00), ("Beacon Satellite Messenger", 349.00), ("Lumen 400 Headlamp", 49.00),
        ("Solar Power Bank 20000mAh", 89.00), ("Altimeter Watch", 279.00), ("Baseplate Compass", 35.00),
        ("Camp Lantern Rechargeable", 59.00)]),
]

# supplier_id, name, country, primary category, onboarded_on, coc_signed_on, rating (1-5)
SUPPLIERS = [
    (1, "Cascade Textile Co.", "Vietnam", "Apparel", "2015-03-10", "2024-02-14", 4.6),
    (2, "Alpenglow Shelters Ltd.", "Taiwan", "Tents & Shelters", "2015-09-01", "2024-01-30", 4.4),
    (3, "Summit Down Works", "China", "Sleeping Systems", "2016-05-20", "2024-03-05", 4.1),
    (4, "Granite Pack Manufacturing", "United States", "Packs & Bags", "2014-11-03", "2024-01-22", 4.8),
    (5, "Trailhead Footwear S.A.", "Portugal", "Footwear", "2018-02-12", "2024-04-18", 4.3),
    (6, "Verticality GmbH", "Germany", "Climbing", "2019-06-24", "2024-02-02", 4.7),
    (7, "Emberline Cookware", "United States", "Camp Kitchen", "2017-08-15", None, 3.9),
    (8, "Lodestar Electronics", "South Korea", "Navigation & Electronics", "2020-01-08", "2024-05-27", 4.2),
]

FIRST_NAMES = [
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Elijah", "Mia", "Lucas", "Amelia", "Mateo", "Harper", "Ethan",
    "Evelyn", "Jack", "Abigail", "Leo", "Ella", "Owen", "Nora", "Caleb", "Zoe", "Isaac", "Lily", "Julian",
    "Aria", "Wyatt", "Chloe", "Ezra", "Hazel", "Miles", "Ruby", "Jonah", "Iris", "Felix", "Maya", "Rowan",
    "Sage", "Theo", "Willa", "Arjun", "Mei", "Diego", "Fatima", "Hiro", "Ingrid", "Kofi", "Lena", "Nadia",
]
LAST_NAMES = [
    "Anderson", "Bennett", "Castillo", "Dawson", "Ellis", "Fischer", "Garcia", "Hayes", "Ibarra", "Jensen",
    "Kim", "Lopez", "Morgan", "Nguyen", "Olsen", "Patel", "Quinn", "Rivera", "Schmidt", "Tanaka", "Underwood",
    "Vasquez", "Walsh", "Xu", "Young", "Zimmerman", "Brooks", "Chen", "Diaz", "Foster", "Hughes", "Reed",
]
US_STATES = ["OR", "WA", "CA", "CO", "UT", "ID", "MT", "NC", "TN", "GA", "VA", "VT", "NY", "MA", "NH", "ME", "TX"]

RETURN_REASONS = ["wrong size", "defective", "not as described", "changed mind", "arrived damaged",
                  "better price elsewhere"]
TICKET_CATEGORIES = ["shipping delay", "order status", "product defect", "sizing question", "refund status",
                     "warranty claim"]
