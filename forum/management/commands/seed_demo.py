"""Demo content so a newcomer sees a living forum. Safe to run again: it adds what is missing."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from accounts.models import MODERATORS_GROUP, User
from forum import services
from forum.models import Category, Thread

DEMO_PASSWORD = "stoa-demo-password"  # noqa: S105 (printed for the demo, by design)

USERS = [
    # username, display name, bio, role
    ("admin", "Ada Admin", "Keeps the lights on.", "admin"),
    ("moderator", "Mo Derator", "Moderator. Be kind.", "moderator"),
    ("alice", "Alice", "Marathoner, coffee snob.", "member"),
    ("bruno", "Bruno", "Powerlifting since 2015.", "member"),
    ("chen", "Chen", "Strength coach for teenage athletes.", "member"),
    ("dana", "Dana", "Physiotherapist. Not your physio.", "member"),
]

CATEGORIES = [
    ("General training", "general-training", "Programming, technique and everything in between."),
    ("Running", "running", "From couch-to-5k to ultras."),
    ("Nutrition", "nutrition", "Fuelling, body composition, recipes."),
    ("Injuries & recovery", "injuries", "Share experience. For diagnosis, see a professional."),
    ("Physiotherapists' corner", "physio-corner", "Clinical talk among professionals."),
]

THREADS = [
    (
        "general-training",
        "bruno",
        "How do I stop my lower back rounding on deadlifts?",
        "Pulling 180 kg for triples and my lower back rounds on the last rep. Form checks "
        "welcome: should I drop the weight or add more **RDLs**?",
        [
            (
                "chen",
                "Film from the side. Usually it's the start position: hips too low, bar "
                "drifting forward. Brace harder before you pull the slack out.",
            ),
            ("alice", "I dropped 10% and added paused deadlifts for a block. Fixed it for me."),
        ],
    ),
    (
        "running",
        "alice",
        "Sharp pain in my mid back for days, any ideas?",
        "I've had a sharp pain between my shoulder blades for five days, worse when I breathe "
        "in deeply after my long runs. Stretching doesn't help. What could it be, and should I "
        "see a doctor?",
        [
            (
                "dana",
                "Pain on deep breathing is worth getting checked in person, please don't "
                "wait on a forum for that.",
            ),
        ],
    ),
    (
        "nutrition",
        "chen",
        "Carbs before a morning 10k?",
        "Race starts at 8am. I usually train fasted. A banana and coffee enough, or oats?",
        [
            ("alice", "Banana + coffee 60-90 minutes before has worked for me for years."),
            ("bruno", "Practise it in training first, never try anything new on race day."),
        ],
    ),
    (
        "injuries",
        "chen",
        "My athlete's knee swells after practice: what could it be?",
        "One of my 16-year-old sprinters gets a swollen, warm knee after every session for two "
        "weeks now, no fall that she remembers. Is this normal growing pains or something to "
        "worry about?",
        [
            (
                "dana",
                "Swelling that keeps coming back needs a proper assessment. Get her seen "
                "by a sports doctor or physio before the next block.",
            ),
        ],
    ),
    (
        "general-training",
        "alice",
        "Post your PRs of the week",
        "Ran a 5k in 22:41 on Saturday, first time under 23 minutes!",
        [
            ("bruno", "Nice one! Hit 200 kg deadlift for a single, finally."),
            ("chen", "Congrats both. My squad had three PBs at the county meet."),
        ],
    ),
]


class Command(BaseCommand):
    help = (
        "Create demo users, categories and threads (idempotent). With --threads and --posts, "
        "also a forum at scale, written in bulk."
    )

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, help="Generate this many more threads...")
        parser.add_argument("--posts", type=int, help="...holding this many posts in all.")
        parser.add_argument("--members", type=int, default=50, help="Members who write them.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--skip-screening",
            action="store_true",
            help="Do not run the medical-advice detector over the generated posts (about 270 "
            "posts a second): they get no notices until `rescan_posts` runs.",
        )

    def handle(self, *args, threads=None, posts=None, **options):
        if (threads is None) != (posts is None):
            raise CommandError("Give both --threads and --posts.")
        if threads is not None and not (1 <= threads <= posts):
            raise CommandError("Need at least one thread and at least one post per thread.")
        self.demo()
        if threads is None:
            return
        from forum import seeding

        shape = seeding.Shape(
            threads=threads, posts=posts, members=options["members"], seed=options["seed"]
        )
        started = time.monotonic()
        with tqdm(total=posts, unit="post", disable=options["verbosity"] == 0) as bar:
            written = seeding.build(shape, progress=bar.update)
        self.stdout.write(
            f"Wrote {written['threads']:,} threads and {written['posts']:,} posts "
            f"({written['quotes']:,} quoting, {written['medical']:,} asking medical questions) "
            f"in {time.monotonic() - started:.0f} s."
        )
        if options["skip_screening"]:
            self.stdout.write(
                self.style.WARNING(
                    "Screening skipped (--skip-screening): the generated posts have no "
                    "medical-advice notices. Run `manage.py rescan_posts` to screen them."
                )
            )
        else:
            call_command("rescan_posts", verbosity=options["verbosity"])

    @transaction.atomic
    def demo(self):
        moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
        users: dict[str, User] = {}
        for username, display_name, bio, role in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "display_name": display_name,
                    "bio": bio,
                    "email": f"{username}@example.com",
                    "is_staff": role in {"admin", "moderator"},
                    "is_superuser": role == "admin",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if role == "moderator":
                user.groups.add(moderators)
            users[username] = user

        for position, (name, slug, description) in enumerate(CATEGORIES):
            Category.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "description": description, "position": position},
            )

        created_threads = 0
        for slug, author, title, body, replies in THREADS:
            category = Category.objects.get(slug=slug)
            if Thread.objects.filter(category=category, title=title).exists():
                continue
            thread = services.thread_create(
                author=users[author], category=category, title=title, body=body
            )
            for username, text in replies:
                services.post_reply(author=users[username], thread=thread, body=text)
            created_threads += 1

        # A real thread from an old phpBB board, when the shared seeds are checked out next to
        # the repository; the demo works without it.
        seed = settings.BASE_DIR.parent / "shared" / "seeds" / "phpbb-thread-back-spasm.txt"
        if seed.exists():
            from forum.importers import category_for_import, parse_printable, thread_import

            if thread_import(
                parsed=parse_printable(seed.read_text(encoding="utf-8")),
                category=category_for_import("injuries"),
            ):
                created_threads += 1

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created_threads} new threads). Log in as alice, bruno, chen, "
                f"dana, moderator or admin with the password: {DEMO_PASSWORD}"
            )
        )
